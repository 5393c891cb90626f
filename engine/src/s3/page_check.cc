#include "s3/page_check.h"

namespace gwsync::s3 {

Status PageCheck::Key(const std::string& name, std::string* last, const char* what) const {
  if (!name.starts_with(prefix_)) {
    return Internal(std::string("the gateway listed ") + what + " '" + name + "' outside '" +
                    prefix_ + "': listing stopped");
  }
  if (!last->empty() && !(*last < name)) {
    return Internal(std::string("the gateway listed ") + what + " '" + name + "' after '" + *last +
                    "', out of order: listing stopped");
  }
  *last = name;
  return Status::Ok();
}

Status PageCheck::Check(const ListPage& page, const std::string& next) {
  for (const auto& obj : page.objects) RETURN_IF_ERROR(Key(obj.key, &last_key_, "key"));
  for (const auto& p : page.common_prefixes) RETURN_IF_ERROR(Key(p, &last_prefix_, "folder"));
  return CheckMarker(page.truncated, next, page.objects.empty() && page.common_prefixes.empty());
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
