#include "fileio/dest_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "fileio/temp_name.h"

namespace gwsync::fileio {
namespace {

std::string JoinKey(const std::string& root, std::string_view key) {
  std::string path = root;
  if (path.empty() || path.back() != '/') path.push_back('/');
  path.append(key);
  return path;
}

bool BadSegment(std::string_view seg) { return seg.empty() || seg == "." || seg == ".."; }

// Opens `name` in `dir` as a folder, without following a link; creates it
// first when asked.
StatusOr<int> OpenChild(int dir, const std::string& name, const std::string& shown, bool create,
                        mode_t mode) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) return fd;
    int err = errno;
    if (err == ENOENT && create && attempt == 0) {
      if (mkdirat(dir, name.c_str(), mode) != 0 && errno != EEXIST) {
        return ErrnoStatus("cannot create folder '" + shown + "'", errno);
      }
      continue;  // open what is there now, made by us or by another writer
    }
    if (err == ELOOP || err == ENOTDIR) {
      struct stat st {};
      bool link = fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      return Status(StatusCode::kFailedPrecondition,
                    "'" + shown + "' is " +
                        (link ? "a symbolic link: not followed, nothing is written or deleted "
                                "through it"
                              : "not a folder"));
    }
    return ErrnoStatus("cannot open folder '" + shown + "'", err);
  }
  return Internal("'" + shown + "': the folder vanished while it was created");
}

// Opens the root, made when asked.
StatusOr<std::shared_ptr<Fd>> OpenRoot(const std::string& root, bool create, mode_t mode) {
  auto fd = std::make_shared<Fd>(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd->get() < 0) {
    int err = errno;
    if (err == ENOENT && create) {
      if (mkdir(root.c_str(), mode) != 0 && errno != EEXIST) {
        return ErrnoStatus("cannot create folder '" + root + "'", errno);
      }
      fd = std::make_shared<Fd>(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    if (fd->get() < 0) return ErrnoStatus("cannot open folder '" + root + "'", errno);
  }
  return fd;
}

// Opens dir_key's segments from `start` on, one by one from `fd` (the
// folder that holds dir_key[0, start)).
StatusOr<std::shared_ptr<Fd>> OpenBelow(std::shared_ptr<Fd> fd, const std::string& root,
                                        std::string_view dir_key, size_t start, bool create,
                                        mode_t mode) {
  while (start < dir_key.size()) {
    size_t slash = dir_key.find('/', start);
    if (slash == std::string_view::npos) slash = dir_key.size();
    std::string_view seg = dir_key.substr(start, slash - start);
    if (BadSegment(seg)) {
      return InvalidArgument("'" + JoinKey(root, dir_key) + "' would leave the destination");
    }
    std::string shown = JoinKey(root, dir_key.substr(0, slash));
    ASSIGN_OR_RETURN(int child, OpenChild(fd->get(), std::string(seg), shown, create, mode));
    fd = std::make_shared<Fd>(child);
    start = slash + 1;
  }
  return fd;
}

// Opens root/dir_key segment by segment; dir_key may be empty (the root).
StatusOr<std::shared_ptr<Fd>> OpenFolders(const std::string& root, std::string_view dir_key,
                                          bool create, mode_t mode) {
  ASSIGN_OR_RETURN(auto fd, OpenRoot(root, create, mode));
  return OpenBelow(std::move(fd), root, dir_key, 0, create, mode);
}

// The folder part of `key` and its last name; the name checked.
StatusOr<std::pair<std::string_view, std::string_view>> SplitKey(const std::string& root,
                                                                 std::string_view key) {
  size_t slash = key.rfind('/');
  std::string_view dir_key = slash == std::string_view::npos ? "" : key.substr(0, slash);
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  bool bad = BadSegment(name);
  // Every segment of the folder part, the empty ones of "a//b" or "/b" too.
  for (size_t start = 0; !bad && slash != std::string_view::npos;) {
    size_t end = std::min(dir_key.find('/', start), dir_key.size());
    bad = BadSegment(dir_key.substr(start, end - start));
    if (end == dir_key.size()) break;
    start = end + 1;
  }
  if (bad) {
    return InvalidArgument("'" + JoinKey(root, key) + "' would leave the destination");
  }
  return std::make_pair(dir_key, name);
}

}  // namespace

StatusOr<DestEntry> OpenDestParent(const std::string& root, std::string_view key, bool create,
                                   mode_t folder_mode) {
  ASSIGN_OR_RETURN(auto split, SplitKey(root, key));
  auto [dir_key, name] = split;
  ASSIGN_OR_RETURN(auto dir, OpenFolders(root, dir_key, create, folder_mode));
  return DestEntry{std::move(dir), std::string(name), JoinKey(root, key)};
}

StatusOr<std::unique_ptr<TempFile>> CreateDestTemp(const std::string& root, std::string_view key) {
  return DestFolders(root, /*capacity=*/1).CreateTemp(key);
}

StatusOr<std::shared_ptr<Fd>> DestFolders::Folder(std::string_view dir_key) {
  std::lock_guard lock(mu_);
  // The nearest folder on the way that is open already: the key itself,
  // then each parent, then the root ("").
  std::shared_ptr<Fd> from;
  size_t start = 0;
  for (std::string_view prefix = dir_key;;) {
    auto it =
        std::find_if(open_.begin(), open_.end(), [&](const auto& e) { return e.first == prefix; });
    if (it != open_.end()) {
      open_.splice(open_.begin(), open_, it);
      if (prefix.size() == dir_key.size()) return it->second;
      from = it->second;
      start = prefix.empty() ? 0 : prefix.size() + 1;
      break;
    }
    if (prefix.empty()) break;
    size_t slash = prefix.rfind('/');
    prefix = slash == std::string_view::npos ? std::string_view() : prefix.substr(0, slash);
  }
  if (!from) {
    ASSIGN_OR_RETURN(from, OpenRoot(root_, /*create=*/true, 0777));
    open_.emplace_front("", from);
  }
  // Each folder opened on the way is kept too: the next key is likely a
  // sibling ("sha256/ab/HASH1/data", then "sha256/ab/HASH2/data").
  while (start < dir_key.size()) {
    size_t end = std::min(dir_key.find('/', start), dir_key.size());
    std::string_view upto = dir_key.substr(0, end);
    ASSIGN_OR_RETURN(from, OpenBelow(from, root_, upto, start, /*create=*/true, 0777));
    open_.emplace_front(std::string(upto), from);
    start = end + 1;
  }
  while (open_.size() > capacity_) open_.pop_back();
  return from;
}

void DestFolders::Forget() {
  std::lock_guard lock(mu_);
  open_.clear();
}

StatusOr<std::unique_ptr<TempFile>> DestFolders::CreateTemp(std::string_view key) {
  ASSIGN_OR_RETURN(auto split, SplitKey(root_, key));
  auto [dir_key, name] = split;
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(auto dir, Folder(dir_key));
    auto temp = TempFile::CreateAt(std::move(dir), std::string(name), JoinKey(root_, key));
    // A held folder that was removed since takes no new file: open it anew.
    if (temp.ok() || attempt > 0 || temp.status().code() != StatusCode::kNotFound) return temp;
    Forget();
  }
}

Status MakeDestFolders(const std::string& root, std::string_view dir_key, mode_t folder_mode) {
  while (!dir_key.empty() && dir_key.back() == '/') dir_key.remove_suffix(1);
  return OpenFolders(root, dir_key, /*create=*/true, folder_mode).status();
}

Status PlaceDestLink(const std::string& root, std::string_view key, const std::string& target) {
  ASSIGN_OR_RETURN(DestEntry e, OpenDestParent(root, key, /*create=*/true));
  // A temporary name the walkers skip (fileio::IsTempName), never one that
  // is there already (a user's file may look like it).
  thread_local std::mt19937 rng{std::random_device{}()};
  std::string tmp;
  for (int tries = 0;; ++tries) {
    tmp = TempStem(e.name) + "L" + std::to_string(rng() % 90000 + 10000);
    if (symlinkat(target.c_str(), e.dir->get(), tmp.c_str()) == 0) break;
    if (errno != EEXIST || tries == 100) {
      return ErrnoStatus("cannot create the link '" + e.path + "'", errno);
    }
  }
  if (renameat(e.dir->get(), tmp.c_str(), e.dir->get(), e.name.c_str()) != 0) {
    int err = errno;
    unlinkat(e.dir->get(), tmp.c_str(), 0);
    return ErrnoStatus("cannot create the link '" + e.path + "'", err);
  }
  return Status::Ok();
}

Status RemoveDestLink(const std::string& root, std::string_view key) {
  auto parent = OpenDestParent(root, key, /*create=*/false);
  if (!parent.ok()) {
    return parent.status().code() == StatusCode::kNotFound ? Status::Ok() : parent.status();
  }
  struct stat st {};
  if (fstatat(parent->dir->get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISLNK(st.st_mode)) {
    return Status::Ok();
  }
  if (unlinkat(parent->dir->get(), parent->name.c_str(), 0) != 0 && errno != ENOENT) {
    return ErrnoStatus("cannot delete '" + parent->path + "'", errno);
  }
  return Status::Ok();
}

Status RemoveDestFile(const std::string& root, std::string_view key) {
  auto parent = OpenDestParent(root, key, /*create=*/false);
  if (!parent.ok()) {
    return parent.status().code() == StatusCode::kNotFound ? Status::Ok() : parent.status();
  }
  if (unlinkat(parent->dir->get(), parent->name.c_str(), 0) != 0 && errno != ENOENT) {
    return ErrnoStatus("cannot delete '" + parent->path + "'", errno);
  }
  return Status::Ok();
}

}  // namespace gwsync::fileio
