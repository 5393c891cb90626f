// Reads an INI file with libinih, line by line, and turns what goes wrong
// into errors a user can act on: "remotes file 'PATH' line 7: ...". Blanks
// before a name are ignored (s3cmd ignores them too), so an indented line is
// never taken for the continuation of the previous value. Safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "gwsync/status.h"

namespace gwsync::config {

struct IniEntry {
  std::string_view section;  // as written between the brackets, "" before any
  std::string_view name;
  std::string_view value;  // blanks around it removed
  // The line was longer than libinih takes (max_length) and `value` lost its
  // end: fine for a setting the caller ignores, an error for one it uses.
  bool truncated = false;
  size_t max_length = 0;
};

// Calls `visit` for every NAME = VALUE line of `path`, in order. `kind` names
// the file in messages ("config file"). NotFound when `path` does not exist;
// InvalidArgument with the line number for a malformed line or for the first
// entry `visit` refuses (its message is appended).
Status ReadIniFile(const std::string& path, std::string_view kind,
                   const std::function<Status(const IniEntry&)>& visit);

// What `visit` returns for a setting it uses on a truncated line.
Status LineTooLong(const IniEntry& entry);

}  // namespace gwsync::config
