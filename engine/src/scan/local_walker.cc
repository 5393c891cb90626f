#include "scan/local_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <utility>
#include <vector>

#include "fileio/beneath.h"
#include "fileio/errno_status.h"
#include "fileio/temp_name.h"
#include "plan/plan.h"

namespace gwsync::scan {
namespace {

const char* TypeName(mode_t mode) {
  if (S_ISFIFO(mode)) return "a fifo";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF): the only names an S3 key can hold.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (n < 0 || s.size() - i <= static_cast<size_t>(n)) return false;
    uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
    for (int k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// The name with bytes that are not UTF-8 shown as \xNN, for messages.
std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80 && c >= 0x20) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

struct Child {
  std::string sort_name;  // the name, with a trailing '/' for a folder
  struct stat st;
  bool is_dir() const { return S_ISDIR(st.st_mode); }
};

// Walks one tree; the directories on the current path are kept so a symbolic
// link back up the tree is noticed instead of followed forever.
class Walker {
 public:
  Walker(std::string root, int root_fd, const WalkOptions& options,
         const std::function<Status(LocalEntry)>& emit)
      : root_(std::move(root)), root_fd_(root_fd), options_(options), emit_(emit) {}

  Status Walk(const struct stat& root_st) {
    on_path_.insert({root_st.st_dev, root_st.st_ino});
    return WalkDir(root_, "", root_st, /*is_root=*/true);
  }

 private:
  // A key (or a folder's key with its trailing '/') can lead to an emitted
  // key only if it and the prefix agree on their common length.
  bool MayMatch(std::string_view key) const {
    std::string_view prefix = options_.prefix;
    size_t n = std::min(key.size(), prefix.size());
    return key.substr(0, n) == prefix.substr(0, n);
  }

  void Skip(const std::string& path, Status why) const {
    if (options_.on_skip) options_.on_skip(path, why);
  }

  std::string PathOf(std::string_view key) const {
    std::string path = root_;
    if (path.empty() || path.back() != '/') path.push_back('/');
    path.append(key);
    return path;
  }

  // Opens the folder `dir_key` ("" or "a/b/") beneath the root, through no
  // link unless links are followed, and only if it is still `listed` (the
  // folder its parent's listing saw).
  StatusOr<int> OpenDir(const std::string& path, const std::string& dir_key,
                        const struct stat& listed, struct stat* now) const {
    std::string rel = dir_key.empty() ? "." : dir_key.substr(0, dir_key.size() - 1);
    int fd =
        options_.links == Links::kFollow
            ? openat(root_fd_, rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            : fileio::OpenBeneath(root_fd_, dir_key.empty() ? "" : rel, O_RDONLY | O_DIRECTORY);
    if (fd < 0 && (errno == ELOOP || errno == EXDEV)) {
      return Status(StatusCode::kFailedPrecondition,
                    "'" + path + "': a symbolic link on its way since it was listed, not followed");
    }
    if (fd < 0) return fileio::ErrnoStatus("'" + path + "'", errno);
    if (fstat(fd, now) != 0) {
      int err = errno;
      close(fd);
      return fileio::ErrnoStatus("'" + path + "'", err);
    }
    if (now->st_dev != listed.st_dev || now->st_ino != listed.st_ino) {
      close(fd);
      return Status(StatusCode::kFailedPrecondition,
                    "'" + path + "': replaced by another folder since it was listed, not walked");
    }
    return fd;
  }

  // Reads and stats the entries of a folder, then closes it before any
  // descent, so a deep tree holds one descriptor at a time. `st` is the
  // folder as opened.
  Status ReadDir(const std::string& path, const std::string& dir_key, const struct stat& listed,
                 std::vector<Child>* out, struct stat* st) {
    ASSIGN_OR_RETURN(int fd, OpenDir(path, dir_key, listed, st));
    DIR* dir = fdopendir(fd);
    if (dir == nullptr) {
      int err = errno;
      close(fd);
      return fileio::ErrnoStatus("'" + path + "'", err);
    }
    Status status;
    for (;;) {
      errno = 0;
      dirent* d = readdir(dir);
      if (d == nullptr) {
        if (errno != 0) status = fileio::ErrnoStatus("'" + path + "'", errno);
        break;
      }
      std::string_view name = d->d_name;
      if (name == "." || name == "..") continue;
      // Our own download, in progress or abandoned; a user's file of that
      // name is walked like any other.
      if (fileio::IsTempName(name) && fileio::IsOwnTemp(fd, d->d_name, options_.stale_seconds)) {
        if (options_.remove_stale_temps)
          fileio::RemoveIfStale(fd, d->d_name, options_.stale_seconds);
        continue;
      }
      if (dir_key.empty() && name == plan::kReservedDir) continue;  // gwsync's own
      std::string key = dir_key + std::string(name);
      if (!MayMatch(key)) continue;
      if (!IsValidUtf8(name)) {
        std::string shown = Printable(PathOf(key));
        Skip(shown, {StatusCode::kFailedPrecondition,
                     "'" + shown +
                         "': the name is not valid UTF-8, which an S3 key must be; "
                         "not synced (rename it)"});
        continue;
      }
      Child child;
      int flags = options_.links == Links::kFollow ? 0 : AT_SYMLINK_NOFOLLOW;
      if (fstatat(fd, d->d_name, &child.st, flags) != 0) {
        int err = errno;
        std::string child_path = PathOf(key);
        // A dangling link, a link chain that loops, or a file gone since
        // readdir: nothing to sync.
        Skip(child_path, fileio::ErrnoStatus("'" + child_path + "'", err));
        continue;
      }
      child.sort_name = std::string(name);
      if (child.is_dir()) child.sort_name.push_back('/');
      if (S_ISLNK(child.st.st_mode) && options_.links == Links::kStore) {
        child.sort_name.append(kLinkSuffix);  // where its object sorts
      }
      out->push_back(std::move(child));
    }
    closedir(dir);
    return status;
  }

  Status WalkDir(const std::string& path, const std::string& dir_key, const struct stat& listed,
                 bool is_root) {
    std::vector<Child> children;
    struct stat st {};
    Status read = ReadDir(path, dir_key, listed, &children, &st);
    if (!read.ok()) {
      if (is_root) return read;
      Skip(path, read);
      if (children.empty()) return Status::Ok();  // else go on with what was read
    }
    if (children.empty() && read.ok() && !is_root && options_.empty_dirs &&
        dir_key.starts_with(options_.prefix)) {
      LocalEntry entry;
      entry.key = dir_key;  // "a/b/"
      entry.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
      entry.mode = st.st_mode & 07777;
      return emit_(std::move(entry));
    }
    std::sort(children.begin(), children.end(),
              [](const Child& a, const Child& b) { return a.sort_name < b.sort_name; });
    for (const Child& child : children) {
      std::string key = dir_key + child.sort_name;
      if (child.is_dir()) {
        if (!MayMatch(key)) continue;
        std::string child_path = PathOf(key.substr(0, key.size() - 1));
        std::pair<dev_t, ino_t> id{child.st.st_dev, child.st.st_ino};
        if (!on_path_.insert(id).second) {
          Skip(child_path, {StatusCode::kFailedPrecondition,
                            "'" + child_path + "': a symbolic link loop (a folder inside itself)"});
          continue;
        }
        Status s = WalkDir(child_path, key, child.st, /*is_root=*/false);
        on_path_.erase(id);
        RETURN_IF_ERROR(s);
      } else if (S_ISREG(child.st.st_mode)) {
        if (!key.starts_with(options_.prefix)) continue;
        LocalEntry entry;
        entry.key = std::move(key);
        entry.size = static_cast<uint64_t>(child.st.st_size);
        entry.mtime_ns =
            static_cast<int64_t>(child.st.st_mtim.tv_sec) * 1000000000 + child.st.st_mtim.tv_nsec;
        entry.inode = child.st.st_ino;
        entry.mode = child.st.st_mode & 07777;
        entry.uid = child.st.st_uid;
        entry.gid = child.st.st_gid;
        RETURN_IF_ERROR(emit_(std::move(entry)));
      } else if (S_ISLNK(child.st.st_mode) && options_.links == Links::kStore) {
        if (!key.starts_with(options_.prefix)) continue;
        LocalEntry entry;
        entry.key = std::move(key);
        entry.size = static_cast<uint64_t>(child.st.st_size);  // the target's length
        entry.mtime_ns =
            static_cast<int64_t>(child.st.st_mtim.tv_sec) * 1000000000 + child.st.st_mtim.tv_nsec;
        entry.inode = child.st.st_ino;
        entry.mode = 0777;
        entry.uid = child.st.st_uid;
        entry.gid = child.st.st_gid;
        entry.link = true;
        RETURN_IF_ERROR(emit_(std::move(entry)));
      } else if (S_ISLNK(child.st.st_mode)) {
        if (!key.starts_with(options_.prefix)) continue;
        std::string child_path = PathOf(key);
        Skip(child_path,
             {StatusCode::kFailedPrecondition,
              "'" + child_path +
                  "': a symbolic link, not followed (--copy-links follows links, --links stores "
                  "them)"});
      } else {
        if (!key.starts_with(options_.prefix)) continue;
        std::string child_path = PathOf(key);
        Skip(child_path, {StatusCode::kFailedPrecondition,
                          "'" + child_path + "': " + TypeName(child.st.st_mode) + ", not synced"});
      }
    }
    return Status::Ok();
  }

  const std::string root_;
  const int root_fd_;  // every folder is opened beneath it
  const WalkOptions& options_;
  const std::function<Status(LocalEntry)>& emit_;
  std::set<std::pair<dev_t, ino_t>> on_path_;
};

}  // namespace

Status WalkLocal(const std::string& root, const WalkOptions& options,
                 const std::function<Status(LocalEntry)>& emit) {
  std::string dir = root;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  struct stat st;
  if (dir.empty() || stat(dir.c_str(), &st) != 0) {
    int err = dir.empty() ? ENOENT : errno;
    if (err == ENOENT || err == ENOTDIR) return NotFound("'" + root + "': no such folder");
    return fileio::ErrnoStatus("'" + root + "'", err);
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgument("'" + root + "' is not a folder");
  int fd = options.root_fd;
  if (fd < 0) {
    fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fileio::ErrnoStatus("'" + root + "'", errno);
  }
  Status s = fstat(fd, &st) == 0 ? Walker(dir, fd, options, emit).Walk(st)
                                 : fileio::ErrnoStatus("'" + root + "'", errno);
  if (fd != options.root_fd) close(fd);
  return s;
}

}  // namespace gwsync::scan
