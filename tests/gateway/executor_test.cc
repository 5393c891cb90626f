// The attempt loop against a scripted network on a virtual clock: what a
// user of a gateway would notice (the final answer, how many requests went
// to which gateway, and when), with no gateway and no real waiting.
#include "gateway/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/bodies.h"
#include "s3/client.h"
#include "support/fake_transport.h"

namespace gwsync::gateway {
namespace {

using gwsync::testing::Canned;
using gwsync::testing::FakeTransport;
using gwsync::testing::FixedRandom;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kA = "10.0.0.1:7480";
const std::string kB = "10.0.0.2:7480";
const std::string kC = "10.0.0.3:7480";

// The longest backoff before attempt `attempt` + 1 (FixedRandom(1): no jitter
// below it), with the default PoolOptions.
milliseconds Backoff(int attempt) {
  return std::min(milliseconds(100) * (1 << (attempt - 1)), milliseconds(10000));
}

struct Result {
  bool done = false;
  http::Response response;
  AttemptInfo info;
  Clock::TimePoint at{};  // when done ran
};

class ExecutorTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> hosts, PoolOptions options = {}) {
    hosts_ = std::move(hosts);
    options.clock = &net_;
    options.random = &jitter_;
    pool_ = std::make_shared<Pool>(hosts_, options, &net_);
    executor_ = std::make_unique<Executor>(pool_.get(), &net_);
  }

  // Starts a GET of /b/k on whichever endpoint the pool picks.
  std::shared_ptr<Result> Get(Call call = {}) {
    auto result = std::make_shared<Result>();
    call.build = [this, sink = call.sink](int index) {
      http::Request r;
      r.url = "http://" + hosts_[index] + "/b/k";
      r.sink = sink;
      return r;
    };
    executor_->Run(std::move(call), [this, result](http::Response r, const AttemptInfo& info) {
      *result = {true, std::move(r), info, net_.Now()};
    });
    return result;
  }

  std::shared_ptr<Result> GetAndRun() {
    auto result = Get();
    net_.RunUntilIdle();
    EXPECT_TRUE(result->done);
    return result;
  }

  // The gaps between one request's consecutive sends.
  std::vector<milliseconds> Gaps() const {
    std::vector<milliseconds> gaps;
    for (size_t i = 1; i < net_.sent().size(); ++i) {
      gaps.push_back(
          std::chrono::duration_cast<milliseconds>(net_.sent()[i].at - net_.sent()[i - 1].at));
    }
    return gaps;
  }

  std::vector<std::string> Hosts() const {
    std::vector<std::string> hosts;
    for (const auto& s : net_.sent()) hosts.push_back(s.host);
    return hosts;
  }

  FakeTransport net_;
  FixedRandom jitter_;
  std::vector<std::string> hosts_;
  std::shared_ptr<Pool> pool_;
  std::unique_ptr<Executor> executor_;
};

TEST_F(ExecutorTest, ThrottleStormThatEndsSucceedsAfterGrowingWaits) {
  Start({kA});
  std::vector<Canned> storm(6, Canned::Answer(503, "<Error><Code>SlowDown</Code></Error>"));
  net_.Script(kA, storm);
  auto r = GetAndRun();

  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(r->info.attempts, 7);
  ASSERT_EQ(net_.sent().size(), 7u);
  std::vector<milliseconds> gaps = Gaps();
  for (size_t i = 0; i < gaps.size(); ++i) {
    // Each wait is at least the backoff (plus the 10 ms answer), and longer
    // than the one before.
    EXPECT_GE(gaps[i], Backoff(static_cast<int>(i) + 1) + milliseconds(10)) << i;
    if (i > 0) {
      EXPECT_GT(gaps[i], gaps[i - 1]) << i;
    }
  }
  EXPECT_LT(net_.Elapsed(r->at), seconds(30));  // the throttle budget

  EndpointStats after_storm = pool_->Stats()[0];
  EXPECT_EQ(after_storm.throttled, 6u);
  EXPECT_LT(after_storm.concurrency_min, 16);  // AIMD went down...
  for (int i = 0; i < 20; ++i) ASSERT_EQ(GetAndRun()->response.status, 200);
  EndpointStats healthy = pool_->Stats()[0];
  EXPECT_GT(healthy.concurrency, after_storm.concurrency);  // ...and up again
}

TEST_F(ExecutorTest, ThrottleStormThatOutlastsTheBudgetFailsWithThe503) {
  Start({kA});
  net_.Script(kA, {}, Canned::Answer(503, "<Error><Code>SlowDown</Code></Error>"));
  auto r = GetAndRun();

  EXPECT_EQ(r->response.status, 503);
  const auto& sent = net_.sent();
  ASSERT_GT(sent.size(), 5u);  // more than max_attempts: the budget counts
  EXPECT_LE(sent.size(), 30u);
  EXPECT_EQ(r->info.attempts, static_cast<int>(sent.size()));
  // The last attempt but one was answered within the budget, the last one
  // after it.
  EXPECT_LT(net_.Elapsed(sent[sent.size() - 2].at) + milliseconds(10), seconds(30));
  EXPECT_GE(net_.Elapsed(sent.back().at) + milliseconds(10), seconds(30));
  EXPECT_EQ(r->at, sent.back().at + milliseconds(10));
}

TEST_F(ExecutorTest, ServerErrorsAreRetriedUpToMaxAttempts) {
  Start({kA});
  net_.Script(kA, {}, Canned::Answer(500));
  auto r = GetAndRun();
  EXPECT_EQ(r->response.status, 500);
  EXPECT_EQ(net_.sent().size(), 5u);
  EXPECT_EQ(r->info.attempts, 5);
}

TEST_F(ExecutorTest, EntityTooLargeIsFinal) {
  Start({kA, kB});
  net_.Script(kA, {Canned::Answer(413)});
  net_.Script(kB, {Canned::Answer(413)});
  auto r = GetAndRun();
  EXPECT_EQ(r->response.status, 413);
  EXPECT_EQ(net_.sent().size(), 1u);
}

// A sink that takes bytes but cannot take them again (a stream passed on).
class OnceSink final : public http::BodySink {
 public:
  Status Write(std::string_view data) override {
    data_.append(data);
    return Status::Ok();
  }
  std::string data_;
};

TEST_F(ExecutorTest, ResetMidBodyIsNotRetriedIntoASinkThatCannotRestart) {
  Start({kA});
  net_.Script(kA, {Canned::ResetMidBody(200, "first half")}, Canned::Answer(200, "whole"));
  auto sink = std::make_shared<OnceSink>();
  Call call;
  call.sink = sink;
  auto r = Get(call);
  net_.RunUntilIdle();

  ASSERT_TRUE(r->done);
  EXPECT_EQ(r->response.transport.code(), StatusCode::kUnavailable);
  EXPECT_EQ(net_.sent().size(), 1u);
  EXPECT_EQ(sink->data_, "first half");
}

TEST_F(ExecutorTest, ResetMidBodyIsRetriedIntoASinkThatRestarts) {
  Start({kA});
  net_.Script(kA, {Canned::ResetMidBody(200, "first half")}, Canned::Answer(200, "whole"));
  auto sink = std::make_shared<http::StringSink>();
  Call call;
  call.sink = sink;
  auto r = Get(call);
  net_.RunUntilIdle();

  ASSERT_TRUE(r->done);
  EXPECT_TRUE(r->response.transport.ok()) << r->response.transport.ToString();
  EXPECT_EQ(net_.sent().size(), 2u);
  EXPECT_EQ(sink->data(), "whole");  // not "first halfwhole"
}

TEST_F(ExecutorTest, TimeoutIsRetriedOnAnotherEndpointAfterABackoff) {
  Start({kA, kB});
  net_.Script(kA, {Canned::Timeout(seconds(60))});
  auto r = GetAndRun();

  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(Hosts(), (std::vector<std::string>{kA, kB}));
  EXPECT_GE(Gaps()[0], seconds(60) + Backoff(1));
  EXPECT_EQ(pool_->Stats()[0].timeouts, 1u);
  EXPECT_EQ(r->info.endpoint, 1);
}

TEST_F(ExecutorTest, TimeoutsEveryTimeFailAfterMaxAttempts) {
  Start({kA});
  net_.Script(kA, {}, Canned::Timeout(seconds(60)));
  auto r = GetAndRun();
  EXPECT_EQ(r->response.transport.code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(net_.sent().size(), 5u);
  EXPECT_GE(net_.Elapsed(r->at), seconds(5 * 60));
}

TEST_F(ExecutorTest, DeadEndpointAmongThreeIsAvoidedAtOnceAndProbedLater) {
  Start({kA, kB, kC});
  net_.Dead(kB);
  std::vector<std::shared_ptr<Result>> wave;
  for (int i = 0; i < 30; ++i) wave.push_back(Get());
  net_.RunUntilIdle();

  int to_b = net_.SentTo(kB);
  EXPECT_GT(to_b, 0);
  for (const auto& r : wave) {
    ASSERT_TRUE(r->done);
    EXPECT_EQ(r->response.status, 200);
    EXPECT_NE(r->info.endpoint, 1);
    // A refusal (1 ms) and one answer (10 ms): no backoff before the retry.
    EXPECT_LE(net_.Elapsed(r->at), milliseconds(11));
  }
  EXPECT_TRUE(pool_->Stats()[1].down);
  EXPECT_GE(pool_->Stats()[1].down_events, 1u);

  // Within its down period (at least 200 ms) it gets nothing...
  net_.RunUntil(net_.Now() + milliseconds(100));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(GetAndRun()->response.status, 200);
  EXPECT_EQ(net_.SentTo(kB), to_b);
  // ...and once it is over (at most 5 s), it is tried again.
  net_.RunUntil(net_.Now() + seconds(6));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(GetAndRun()->response.status, 200);
  EXPECT_GT(net_.SentTo(kB), to_b);
}

TEST_F(ExecutorTest, AllEndpointsDeadFailsAfterDownAttemptsQuickly) {
  Start({kA, kB, kC});
  for (const auto& h : {kA, kB, kC}) net_.Dead(h);
  auto r = GetAndRun();

  EXPECT_EQ(r->response.transport.code(), StatusCode::kUnavailable);
  EXPECT_EQ(static_cast<int>(net_.sent().size()), Pool::kDownAttempts);
  std::vector<std::string> hosts = Hosts();
  std::sort(hosts.begin(), hosts.end());
  EXPECT_EQ(hosts, (std::vector<std::string>{kA, kB, kC}));  // each once
  EXPECT_LE(net_.Elapsed(r->at), milliseconds(3));
}

TEST_F(ExecutorTest, RetryAfterIsHonoured) {
  Start({kA});
  net_.Script(kA, {Canned::Answer(503, "", {{"Retry-After", "7"}})});
  auto r = GetAndRun();

  EXPECT_EQ(r->response.status, 200);
  ASSERT_EQ(net_.sent().size(), 2u);
  // Answered at +10 ms; the retry not before 7 s after that (and not much
  // later: no backoff of its own on top).
  EXPECT_GE(Gaps()[0], milliseconds(7010));
  EXPECT_LT(Gaps()[0], milliseconds(7100));
}

TEST_F(ExecutorTest, RetryAfterIsCappedAtAMinute) {
  Start({kA});
  net_.Script(kA, {Canned::Answer(503, "", {{"Retry-After", "86400"}})});
  auto r = GetAndRun();
  EXPECT_EQ(r->response.status, 200);
  ASSERT_EQ(net_.sent().size(), 2u);
  EXPECT_GE(Gaps()[0], milliseconds(60010));
  EXPECT_LT(Gaps()[0], milliseconds(60100));
}

TEST_F(ExecutorTest, NotIdempotentCallIsNotRetriedOnceAnswered) {
  Start({kA, kB});
  net_.Script(kA, {Canned::Answer(500)});
  Call call;
  call.idempotency = Idempotency::kNotAfterSend;
  auto r = Get(call);
  net_.RunUntilIdle();
  EXPECT_EQ(r->response.status, 500);
  EXPECT_EQ(net_.sent().size(), 1u);
}

TEST_F(ExecutorTest, NotIdempotentCallIsRetriedWhenItNeverLeft) {
  Start({kA, kB});
  net_.Dead(kA);
  Call call;
  call.idempotency = Idempotency::kNotAfterSend;
  auto r = Get(call);
  net_.RunUntilIdle();
  EXPECT_EQ(r->response.status, 200);
  EXPECT_EQ(Hosts(), (std::vector<std::string>{kA, kB}));
}

// Through s3::Client: the operations say what may be retried.
class ClientRetryTest : public ::testing::Test {
 protected:
  ClientRetryTest() {
    s3::ClientOptions o;
    o.endpoint = *s3::ParseEndpoint("http://" + kA);
    o.more_endpoints = {*s3::ParseEndpoint("http://" + kB)};
    o.credentials = {"access", "secret"};
    o.pool.clock = &net_;
    o.pool.random = &jitter_;
    client_ = std::make_unique<s3::Client>(&net_, o);
  }

  // Runs an operation that ends in a Status (or a value, dropped) to the end.
  template <typename T>
  Status Run(const std::function<void(s3::Done<T>)>& start) {
    std::optional<Status> status;
    start([&](StatusOr<T> r) {
      status = r.status();
      last_ = s3::Client::LastAttempt();
    });
    net_.RunUntilIdle();
    EXPECT_TRUE(status.has_value());
    return status.value_or(Internal("never finished"));
  }

  FakeTransport net_;
  FixedRandom jitter_;
  std::unique_ptr<s3::Client> client_;
  s3::AttemptInfo last_;
};

const char kCompleted[] =
    "<CompleteMultipartUploadResult><ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>";

TEST_F(ClientRetryTest, CompleteMultipartUploadIsNotRetriedAfterAnAnswer) {
  net_.Script(kA, {Canned::Answer(500)}, Canned::Answer(200, kCompleted));
  net_.Script(kB, {}, Canned::Answer(200, kCompleted));
  Status s = Run<std::string>([&](auto done) {
    client_->CompleteMultipartUpload("b", "k", "u1", {{1, "e1", 5}, {2, "e2", 5}}, done);
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.http_status(), 500);
  ASSERT_EQ(net_.sent().size(), 1u);
  EXPECT_EQ(net_.sent()[0].method, "POST");
  EXPECT_EQ(last_.attempts, 1);
}

TEST_F(ClientRetryTest, CompleteMultipartUploadIsRetriedWhenRefused) {
  net_.Dead(kA);
  net_.Script(kB, {}, Canned::Answer(200, kCompleted));
  Status s = Run<std::string>([&](auto done) {
    client_->CompleteMultipartUpload("b", "k", "u1", {{1, "e1", 5}}, done);
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(net_.sent().size(), 2u);
  EXPECT_EQ(last_.attempts, 2);
  EXPECT_EQ(last_.endpoint, 1);
}

TEST_F(ClientRetryTest, UploadPartIsRetriedAfterA500WithItsBodyAgain) {
  net_.Script(kA, {Canned::Answer(500)});
  auto body = std::make_shared<http::StringSource>("part bytes");
  Status s =
      Run<std::string>([&](auto done) { client_->UploadPart("b", "k", "u1", 1, body, "", done); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(net_.sent().size(), 2u);
  EXPECT_EQ(net_.sent()[0].body, "part bytes");
  EXPECT_EQ(net_.sent()[1].body, "part bytes");
  // Signed for the endpoint it went to.
  EXPECT_NE(http::FindHeader(net_.sent()[1].headers, "authorization"), "");
  EXPECT_EQ(net_.sent()[1].host, kB);
}

// A body read from a pipe: once read, gone.
class PipeSource final : public http::BodySource {
 public:
  explicit PipeSource(std::string data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  StatusOr<size_t> Read(std::span<char> buf) override {
    size_t n = std::min(buf.size(), data_.size() - pos_);
    std::copy_n(data_.data() + pos_, n, buf.data());
    pos_ += n;
    return n;
  }
  Status Rewind() override {
    return pos_ == 0 ? Status::Ok() : Status(StatusCode::kFailedPrecondition, "a pipe");
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

TEST_F(ClientRetryTest, BodyThatCannotRewindIsNotRetried) {
  net_.Script(kA, {Canned::Answer(500)});
  auto body = std::make_shared<PipeSource>("streamed");
  Status s = Run<std::string>(
      [&](auto done) { client_->PutObject("b", "k", body, s3::PutOptions{}, done); });
  EXPECT_EQ(s.http_status(), 500);
  EXPECT_EQ(net_.sent().size(), 1u);
}

TEST_F(ClientRetryTest, EntityTooLargeIsFinal) {
  net_.Script(kA, {Canned::Answer(413)});
  net_.Script(kB, {Canned::Answer(413)});
  auto body = std::make_shared<http::StringSource>("too big");
  Status s = Run<std::string>(
      [&](auto done) { client_->PutObject("b", "k", body, s3::PutOptions{}, done); });
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.http_status(), 413);
  EXPECT_EQ(net_.sent().size(), 1u);
  EXPECT_EQ(last_.attempts, 1);
}

}  // namespace
}  // namespace gwsync::gateway
