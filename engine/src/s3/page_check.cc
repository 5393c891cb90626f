#include "s3/page_check.h"

#include "s3/client.h"

namespace gwsync::s3 {

namespace {

std::string WithCommas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

}  // namespace

ListBudget::ListBudget(std::optional<uint64_t> count, uint64_t limit) : count_(count) {
  if (limit > 0) {
    limit_ = limit;
    why_ = "the --list-limit";
  } else if (count) {
    // Saturating: a count near 2^64 means no limit below it.
    limit_ = *count > (UINT64_MAX - kMargin) / 2 ? UINT64_MAX : 2 * *count + kMargin;
    why_ = "twice the " + WithCommas(*count) +
           " objects the gateway says the bucket holds (X-RGW-Object-Count) and " +
           WithCommas(kMargin) + " more";
  } else {
    limit_ = kDefaultLimit;
    why_ = "gwsync's limit for a gateway that does not say how many objects a bucket holds";
  }
}

Status ListBudget::Take(std::atomic<uint64_t>& n, const char* what) {
  if (n.fetch_add(1, std::memory_order_relaxed) < limit_) return Status::Ok();
  return Internal("the gateway listed more than " + WithCommas(limit_) + " " + what + ", " + why_ +
                  ": listing stopped (--list-limit N sets another limit)");
}

std::shared_ptr<ListBudget> BudgetFor(const Client& client, const std::string& bucket) {
  auto head = Wait<BucketHead>([&](auto done) { client.StatBucket(bucket, done); });
  return std::make_shared<ListBudget>(head.ok() ? head->object_count : std::nullopt,
                                      client.options().list_limit);
}

Status PageCheck::Name(const std::string& name, const char* what) {
  if (!name.starts_with(prefix_)) {
    return Internal(std::string("the gateway listed ") + what + " '" + name + "' outside '" +
                    prefix_ + "': listing stopped");
  }
  if (last_name_ && !(*last_name_ < name)) {
    return Internal(std::string("the gateway listed ") + what + " '" + name + "' after '" +
                    *last_name_ + "', out of order: listing stopped");
  }
  last_name_ = name;
  return Status::Ok();
}

Status PageCheck::CheckKey(const std::string& key) {
  RETURN_IF_ERROR(Name(key, "key"));
  return budget_->TakeKey();
}

Status PageCheck::CheckFolder(const std::string& folder) {
  if (!delimiter_.empty() && folder.starts_with(prefix_) &&
      (folder.size() <= prefix_.size() || !folder.ends_with(delimiter_))) {
    return Internal("the gateway listed folder '" + folder + "', not a folder of '" + prefix_ +
                    "': listing stopped");
  }
  RETURN_IF_ERROR(Name(folder, "folder"));
  return budget_->TakeFolder();
}

Status PageCheck::TakeEntries(size_t n) {
  for (size_t i = 0; i < n; ++i) RETURN_IF_ERROR(budget_->TakeKey());
  return Status::Ok();
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
  if (first_) {
    saved_token_ = next;
    steps_ = 1;
  } else {
    if (next == saved_token_) {
      return Internal("the gateway's continuation tokens went round in a cycle (the token of " +
                      std::to_string(steps_) + " pages before came back): listing stopped");
    }
    if (steps_ == power_) {  // Brent: keep this one, twice as long
      saved_token_ = next;
      power_ *= 2;
      steps_ = 0;
    }
    ++steps_;
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
