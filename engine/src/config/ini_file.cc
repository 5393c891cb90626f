#include "config/ini_file.h"

#include <ini.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <system_error>
#include <vector>

namespace gwsync::config {
namespace {

// What libinih's callbacks share: the file's text, handed out a line at a
// time so that the line number is known, and the first error.
struct Parse {
  std::string_view rest;
  int line = 0;
  bool truncated = false;
  std::vector<int> truncated_lines;
  size_t max_length = 0;
  const std::function<Status(const IniEntry&)>* visit = nullptr;
  Status error;
  int error_line = 0;
};

// An ini_reader: fgets over the text. Each call hands out one whole line,
// ending in '\n', so libinih counts lines as we do and never reads the tail
// of a long line as a line of its own.
char* NextLine(char* buf, int size, void* stream) {
  auto* p = static_cast<Parse*>(stream);
  if (p->rest.empty() || size < 3) return nullptr;
  size_t eol = p->rest.find('\n');
  std::string_view line = p->rest.substr(0, eol);
  p->rest.remove_prefix(eol == std::string_view::npos ? p->rest.size() : eol + 1);
  ++p->line;
  size_t name = line.find_first_not_of(" \t\r\v\f");
  line.remove_prefix(name == std::string_view::npos ? line.size() : name);
  p->max_length = static_cast<size_t>(size) - 2;  // room for '\n' and NUL
  p->truncated = line.size() > p->max_length;
  if (p->truncated) p->truncated_lines.push_back(p->line);
  line = line.substr(0, p->max_length);
  std::memcpy(buf, line.data(), line.size());
  buf[line.size()] = '\n';
  buf[line.size() + 1] = '\0';
  return buf;
}

// An ini_handler: nonzero to go on. libinih goes on after an error and
// returns the first line that had one; we keep the first message.
int OnEntry(void* user, const char* section, const char* name, const char* value) {
  auto* p = static_cast<Parse*>(user);
  if (p->error_line) return 0;
  IniEntry e{section, name, value, p->truncated, p->max_length};
  try {
    p->error = (*p->visit)(e);
  } catch (const std::exception& ex) {  // nothing may unwind through C
    p->error = Internal(ex.what());
  }
  if (p->error.ok()) return 1;
  p->error_line = p->line;
  return 0;
}

StatusOr<std::string> ReadAll(const std::string& path, std::string_view kind) {
  auto failed = [&](int err) {
    std::string m = "cannot read " + std::string(kind) + " '" + path +
                    "': " + std::error_code(err, std::generic_category()).message();
    if (err == ENOENT || err == ENOTDIR) return NotFound(m);
    if (err == EACCES || err == EPERM) return PermissionDenied(m);
    return InvalidArgument(m);
  };
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return failed(errno);
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err) return failed(err);
  return text;
}

}  // namespace

Status LineTooLong(const IniEntry& entry) {
  return InvalidArgument("the line is longer than " + std::to_string(entry.max_length) +
                         " characters");
}

Status ReadIniFile(const std::string& path, std::string_view kind,
                   const std::function<Status(const IniEntry&)>& visit) {
  ASSIGN_OR_RETURN(std::string text, ReadAll(path, kind));
  Parse p;
  p.rest = text;
  p.visit = &visit;
  int bad_line = ini_parse_stream(NextLine, &p, OnEntry, &p);
  std::string where = std::string(kind) + " '" + path + "' line ";
  if (bad_line < 0) return Internal("cannot parse " + std::string(kind) + " '" + path + "'");
  if (p.error_line && (bad_line == 0 || bad_line >= p.error_line)) {
    return Status(p.error.code(), where + std::to_string(p.error_line) + ": " + p.error.message());
  }
  if (bad_line > 0) {
    bool cut = std::find(p.truncated_lines.begin(), p.truncated_lines.end(), bad_line) !=
               p.truncated_lines.end();
    return InvalidArgument(
        "malformed " + where + std::to_string(bad_line) + ": " +
        (cut ? "the line is longer than " + std::to_string(p.max_length) + " characters"
             : std::string("expected NAME = VALUE, [SECTION] or a # comment")));
  }
  return Status::Ok();
}

}  // namespace gwsync::config
