#include "transfer/dest_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace gwsync::transfer {
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

// Opens root/dir_key segment by segment; dir_key may be empty (the root).
StatusOr<std::shared_ptr<Fd>> OpenFolders(const std::string& root, std::string_view dir_key,
                                          bool create, mode_t mode) {
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
  size_t start = 0;
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

}  // namespace

StatusOr<DestEntry> OpenDestParent(const std::string& root, std::string_view key, bool create,
                                   mode_t folder_mode) {
  size_t slash = key.rfind('/');
  std::string_view dir_key = slash == std::string_view::npos ? "" : key.substr(0, slash);
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (BadSegment(name)) {
    return InvalidArgument("'" + JoinKey(root, key) + "' would leave the destination");
  }
  ASSIGN_OR_RETURN(auto dir, OpenFolders(root, dir_key, create, folder_mode));
  return DestEntry{std::move(dir), std::string(name), JoinKey(root, key)};
}

StatusOr<std::unique_ptr<TempFile>> CreateDestTemp(const std::string& root, std::string_view key) {
  ASSIGN_OR_RETURN(DestEntry e, OpenDestParent(root, key, /*create=*/true));
  return TempFile::CreateAt(std::move(e.dir), std::move(e.name), std::move(e.path));
}

Status MakeDestFolders(const std::string& root, std::string_view dir_key, mode_t folder_mode) {
  while (!dir_key.empty() && dir_key.back() == '/') dir_key.remove_suffix(1);
  return OpenFolders(root, dir_key, /*create=*/true, folder_mode).status();
}

Status PlaceDestLink(const std::string& root, std::string_view key, const std::string& target) {
  ASSIGN_OR_RETURN(DestEntry e, OpenDestParent(root, key, /*create=*/true));
  // A temporary name the walkers skip (scan::IsTempName); the commit stage
  // that calls this is serial, so one per process is enough.
  std::string tmp = "." + e.name.substr(0, 200) + ".gwsync-L" +
                    std::to_string(getpid() % 100000 + 100000).substr(1);
  unlinkat(e.dir->get(), tmp.c_str(), 0);
  if (symlinkat(target.c_str(), e.dir->get(), tmp.c_str()) != 0) {
    return ErrnoStatus("cannot create the link '" + e.path + "'", errno);
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

}  // namespace gwsync::transfer
