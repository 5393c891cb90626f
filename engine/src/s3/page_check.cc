#include "s3/page_check.h"

namespace gwsync::s3 {

Status PageCheck::Name(const std::string& name, const char* what) {
  if (!name.starts_with(prefix_)) {
    return Internal(std::string("the gateway listed ") + what + " '" + name + "' outside '" +
                    prefix_ + "': listing stopped");
  }
  if (!last_name_.empty() && !(last_name_ < name)) {
    return Internal(std::string("the gateway listed ") + what + " '" + name + "' after '" +
                    last_name_ + "', out of order: listing stopped");
  }
  last_name_ = name;
  return Status::Ok();
}

Status PageCheck::CheckKey(const std::string& key) { return Name(key, "key"); }

Status PageCheck::CheckFolder(const std::string& folder) {
  if (!delimiter_.empty() && folder.starts_with(prefix_) &&
      (folder.size() <= prefix_.size() || !folder.ends_with(delimiter_))) {
    return Internal("the gateway listed folder '" + folder + "', not a folder of '" + prefix_ +
                    "': listing stopped");
  }
  return Name(folder, "folder");
}

Status PageCheck::Check(const ListPage& page, const std::string& next) {
  // Keys and common prefixes each come sorted; merged, they are one order.
  const auto& objects = page.objects;
  const auto& folders = page.common_prefixes;
  size_t i = 0, j = 0;
  while (i < objects.size() || j < folders.size()) {
    if (j >= folders.size() || (i < objects.size() && objects[i].key < folders[j])) {
      RETURN_IF_ERROR(CheckKey(objects[i++].key));
    } else {
      RETURN_IF_ERROR(CheckFolder(folders[j++]));
    }
  }
  return CheckMarker(page.truncated, next, objects.empty() && folders.empty());
}

Status PageCheck::CheckMarker(bool truncated, const std::string& next, bool empty) {
  if (!truncated) return Status::Ok();
  if (next.empty()) {
    return Internal("the gateway sent a truncated listing without a continuation: listing stopped");
  }
  if (!first_ && next == last_token_) {
    return Internal("the gateway repeated its continuation token: listing stopped");
  }
  empty_pages_ = empty ? empty_pages_ + 1 : 0;
  if (empty_pages_ > kMaxEmptyPages) {
    return Internal("the gateway sent " + std::to_string(empty_pages_) +
                    " empty truncated listing pages in a row: listing stopped");
  }
  first_ = false;
  last_token_ = next;
  return Status::Ok();
}

}  // namespace gwsync::s3
