#include <algorithm>
#include <cstdio>

#include "loadgen/bench.h"

namespace gwsync::loadgen {
namespace {

uint64_t Micros(Clock::duration d) {
  return static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
}

std::string Index(uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%08llu", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace

s3::AttemptInfo Bench::CountRequest(std::string_view api, Task* task) {
  s3::AttemptInfo a = s3::Client::LastAttempt();
  int ep = std::clamp(a.endpoint, 0, static_cast<int>(report_.endpoints.size()) - 1);
  std::lock_guard lock(mu_);
  report_.requests[ep][std::string(api)] += a.attempts;
  if (!task) return a;
  task->endpoint = ep;
  if (task->ttfb_us == 0) task->ttfb_us = static_cast<uint64_t>(a.timing.ttfb * 1e6);
  int op = static_cast<int>(task->op);
  if (task->window == Window::kMeasure && phase_) {
    phase_->ops[op].requests += a.attempts;
    phase_->endpoints[ep][op].requests += a.attempts;
  } else if (task->window == Window::kWarmup && phase_) {
    phase_->warmup_requests[op] += a.attempts;
  }
  return a;
}

bool Bench::Start(Op op, Clock::time_point scheduled, Window window) {
  auto t = std::make_shared<Task>();
  t->scheduled = scheduled;
  t->window = window;
  {
    std::lock_guard lock(mu_);
    if (window == Window::kPrepare) {
      if (stopping_ || next_prepare_ >= static_cast<uint64_t>(report_.objects)) return false;
      t->op = Op::kPut;
      t->key = report_.run_prefix + "ws/" + Index(next_prepare_++);
      t->size = o_.sizes.Pick(rng_);
      if (t->size >= o_.multipart_threshold) t->op = Op::kMultipartPut;
    } else {
      if (op == Op::kDelete) {
        size_t available = working_.size();
        if (!delete_only_) {
          auto settled = Clock::now() - kSettle;
          available = 0;
          while (available < fresh_.size() && fresh_[available].written <= settled) ++available;
        }
        if (available == 0) {
          if (delete_only_) {
            exhausted_ = true;
            return false;
          }
          op = o_.mix.Pick(rng_, static_cast<int>(Op::kDelete));
          if (op == Op::kDelete) return false;
        } else {
          size_t take = std::min<size_t>(available, std::max(1, o_.delete_batch));
          for (size_t i = 0; i < take; ++i) {
            if (delete_only_) {
              t->keys.push_back(std::move(working_.back().key));
              working_.pop_back();
            } else {
              t->keys.push_back(std::move(fresh_.front().key));
              fresh_.pop_front();
            }
          }
        }
      }
      t->op = op;
      if (op == Op::kPut || op == Op::kMultipartPut) {
        t->key = report_.run_prefix + "put/" + Index(next_put_++);
        t->size = o_.sizes.Pick(rng_);
        if (t->size >= o_.multipart_threshold) t->op = Op::kMultipartPut;
      } else if (op == Op::kGet || op == Op::kHead) {
        if (working_.empty()) return false;
        const Object& obj =
            working_[std::uniform_int_distribution<size_t>(0, working_.size() - 1)(rng_)];
        t->key = obj.key;
        t->size = op == Op::kGet ? obj.size : 0;
      }
    }
    if (t->op == Op::kMultipartPut) used_multipart_ = true;
    ++in_flight_;
  }
  Send(std::move(t));
  return true;
}

void Bench::Send(std::shared_ptr<Task> t) {
  const std::string& b = o_.bucket;
  switch (t->op) {
    case Op::kPut:
      client_.PutObject(b, t->key, Body(t->size), {}, [this, t](StatusOr<std::string> r) {
        CountRequest("PutObject", t.get());
        Finish(t, r.status());
      });
      break;
    case Op::kGet: {
      t->sink = std::make_shared<CountingSink>();
      // The size it wrote: a body moves as a sync's of that size does.
      s3::GetOptions get;
      if (t->size > 0) get.expected_size = t->size;
      client_.GetObject(b, t->key, get, t->sink, [this, t](StatusOr<s3::ObjectHead> r) {
        CountRequest("GetObject", t.get());
        // What actually came, not what was expected.
        t->size = t->sink->count();
        Finish(t, r.status());
      });
      break;
    }
    case Op::kHead:
      client_.HeadObject(b, t->key, [this, t](StatusOr<s3::ObjectHead> r) {
        CountRequest("HeadObject", t.get());
        Finish(t, r.status());
      });
      break;
    case Op::kList: {
      s3::ListOptions lo;
      lo.prefix = report_.run_prefix + "ws/";
      client_.ListObjects(b, lo, [this, t](StatusOr<s3::ListPage> r) {
        CountRequest("ListObjects", t.get());
        Finish(t, r.status());
      });
      break;
    }
    case Op::kDelete:
      client_.DeleteObjects(b, t->keys, [this, t](StatusOr<std::vector<s3::DeleteError>> r) {
        CountRequest("DeleteObjects", t.get());
        if (r.ok() && !r->empty()) {
          return Finish(
              t, Internal(std::to_string(r->size()) + " keys not deleted: " + r->front().code));
        }
        Finish(t, r.status());
      });
      break;
    case Op::kMultipartPut:
      client_.CreateMultipartUpload(b, t->key, {}, [this, t](StatusOr<std::string> r) {
        CountRequest("CreateMultipartUpload", t.get());
        if (!r.ok()) return Finish(t, r.status());
        t->upload_id = *r;
        SendParts(t);
      });
      break;
  }
}

// Up to part_parallel parts of one object in flight, like a transfer's; the
// upload completes when the last is confirmed.
void Bench::SendParts(std::shared_ptr<Task> t) {
  const std::string& b = o_.bucket;
  const int total =
      static_cast<int>(std::max<uint64_t>(1, (t->size + o_.part_size - 1) / o_.part_size));
  std::vector<std::pair<int, uint64_t>> start;
  bool complete = false;
  Status error;
  {
    std::lock_guard lock(t->part_mu);
    while (t->part_error.ok() && t->parts_started < total &&
           t->parts_in_flight < std::max(1, o_.part_parallel)) {
      int number = ++t->parts_started;
      uint64_t offset = static_cast<uint64_t>(number - 1) * o_.part_size;
      start.emplace_back(number, std::min(o_.part_size, t->size - offset));
      ++t->parts_in_flight;
    }
    if (!t->parts_done && t->parts_in_flight == 0 &&
        (!t->part_error.ok() || t->parts_started == total)) {
      t->parts_done = true;  // once, by whichever completion comes last
      complete = t->part_error.ok();
      error = t->part_error;
    }
  }
  for (const auto& part : start) {
    // Named copies: a lambda capturing structured bindings is C++20 that
    // clang-tidy 14 cannot parse.
    const int number = part.first;
    const uint64_t len = part.second;
    client_.UploadPart(b, t->key, t->upload_id, number, Body(len), "",
                       [this, t, number, len](StatusOr<std::string> r) {
                         CountRequest("UploadPart", t.get());
                         {
                           std::lock_guard lock(t->part_mu);
                           --t->parts_in_flight;
                           if (r.ok()) {
                             t->parts.push_back({number, *r, len});
                           } else if (t->part_error.ok()) {
                             t->part_error = r.status();
                           }
                         }
                         SendParts(t);
                       });
  }
  if (!complete && error.ok()) return;
  if (!error.ok()) return Finish(t, error);
  std::sort(t->parts.begin(), t->parts.end(),
            [](const s3::PartInfo& x, const s3::PartInfo& y) { return x.number < y.number; });
  client_.CompleteMultipartUpload(b, t->key, t->upload_id, t->parts,
                                  [this, t](StatusOr<std::string> r) {
                                    CountRequest("CompleteMultipartUpload", t.get());
                                    Finish(t, r.status());
                                  });
}

void Bench::Finish(std::shared_ptr<Task> t, const Status& s) {
  const s3::AttemptInfo& a = s3::Client::LastAttempt();
  auto now = Clock::now();
  bool next = false;
  Op next_op = Op::kPut;
  {
    std::lock_guard lock(mu_);
    ErrorClass error = ClassifyError(s.http_status() ? s.http_status() : a.http_status,
                                     s.ok() ? Status::Ok() : a.transport);
    if (t->window == Window::kPrepare) {
      if (s.ok()) {
        working_.push_back({t->key, t->size});
        ++report_.prepare.objects;
        report_.prepare.bytes += t->size;
      } else if (report_.prepare.errors++ == 0) {
        report_.prepare.first_error = s.message();
      }
      next = !stopping_;
    } else {
      if (s.ok() && (t->op == Op::kPut || t->op == Op::kMultipartPut) && o_.mix.Has(Op::kDelete) &&
          !delete_only_) {
        fresh_.push_back({t->key, t->size, now});
      }
      if (t->window == Window::kWarmup && phase_ && !s.ok()) ++phase_->warmup_errors;
      if (t->window == Window::kMeasure && phase_) {
        int op = static_cast<int>(t->op);
        OpStats* tables[] = {&phase_->ops[op], &phase_->endpoints[t->endpoint][op]};
        uint64_t latency = Micros(now - t->scheduled);
        for (OpStats* st : tables) {
          if (s.ok()) {
            ++st->count;
            st->bytes += t->size;
            st->latency_us.Record(latency);
            // curl's first-byte time of an upload is when its body starts
            // out: only reads have a time to first byte worth reporting.
            if (t->op == Op::kGet || t->op == Op::kHead || t->op == Op::kList) {
              st->ttfb_us.Record(t->ttfb_us);
            }
          } else {
            ++st->errors[static_cast<int>(error)];
          }
        }
        size_t second = static_cast<size_t>(std::max<int64_t>(
            0, std::chrono::duration_cast<std::chrono::seconds>(now - warmup_end_).count()));
        if (second >= phase_->series.size()) phase_->series.resize(second + 1);
        SecondStats& sec = phase_->series[second];
        if (s.ok()) {
          ++sec.ops;
          sec.bytes += t->size;
          sec.latency_us.Record(latency);
        } else {
          ++sec.errors;
        }
      }
      next = closed_loop_ && !stopping_ && now < end_;
      if (next) next_op = o_.mix.Pick(rng_);
    }
    ++live_.ops;
    if (s.ok()) live_.bytes += t->size;
    if (!s.ok()) ++live_.errors;
  }
  // The worker goes on with its next operation, or ends. This one stays in
  // flight until then, so the phase cannot see none in flight and end in
  // between.
  if (next) {
    Window w = t->window == Window::kPrepare ? Window::kPrepare
               : now < warmup_end_           ? Window::kWarmup
                                             : Window::kMeasure;
    Start(next_op, now, w);
  }
  // Notified under the lock: once it is released the phase may end and the
  // bench be destroyed.
  std::lock_guard lock(mu_);
  --in_flight_;
  cv_.notify_all();
}

}  // namespace gwsync::loadgen
