// One planned action of a sync on its way through the pipeline (runner.h),
// and what each round of it learns. A Job is handed from stage to stage,
// one stage at a time: never touched by two threads at once.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "fileio/files.h"
#include "gwsync/status.h"
#include "hash/hash.h"
#include "plan/plan.h"
#include "s3/client.h"
#include "sync/metadata.h"
#include "transfer/etag.h"

namespace gwsync::sync::internal {

using plan::ActionKind;
using plan::SkipReason;

// One round of a job through prepare, transfer and commit, and all it
// learns on the way. A round again (a file that changed while it was read)
// starts from a fresh one, so it can never send the previous round's body,
// digest, descriptor or stat.
struct Attempt {
  // What an upload's round holds: the file as opened and hashed.
  struct Upload {
    std::shared_ptr<fileio::Fd> fd;
    struct stat st {};
    hash::Md5Digest md5{};
    // A small file read whole by prepare (one read for its MD5 and its body).
    std::optional<std::string> small_body;
    std::string inline_body;  // without a file: a link's target, a marker's ""
    bool st_current = false;  // `st` is the file as it is after the upload (commit checked)
    // What the object kept when the file was downloaded (its
    // user.gwsync.headers), for the file as it still is.
    std::optional<KeptHeaders> kept;
  };
  // What a download's round holds: the temporary file with what arrived.
  struct Download {
    std::shared_ptr<fileio::TempFile> temp;
    s3::ObjectHead head;
    std::vector<std::pair<std::string, std::string>> tags;  // the object's, when it has any
    // What the object keeps besides its bytes, encoded (EncodeKept), for the index.
    std::string kept_encoded;
    // The part layout the object records.
    std::optional<transfer::PartLayout> layout;
    // False when the file is in place but not as the object says (an
    // attribute that could not be set): recorded in the index as such, so
    // the next run fetches it again.
    bool settled = true;
  };

  ActionKind kind = ActionKind::kSkip;  // what is done, once verified
  SkipReason reason = SkipReason::kNone;
  Status status;
  // A skip of a file that is no longer the one listed: why, for a notice.
  std::string notice;
  // Downloads and copies: whether the bytes are proven the source's
  // (transfer/etag.h), and why not.
  transfer::Verdict verdict = transfer::Verdict::kVerified;
  std::string why;
  // The file's path under the local root: its key, or its place in the key
  // store (LocalRel, or where a clash with a folder put it).
  std::string local;
  std::string etag;  // of the object as written or read
  // The xxh3-128 (hex) of the file's bytes as read or written, for its
  // records (index, run manifest); empty: not known.
  std::string xxh3;
  // The direction's own part, made by its Prepare (a copy has none).
  std::variant<std::monostate, Upload, Download> own;
};

// One planned action on its way through the graph.
struct Job {
  explicit Job(plan::Action a) : action(std::move(a)) {}
  const plan::Action action;  // as planned
  // Rounds begun; a file that keeps changing fails after kMaxRounds.
  static constexpr int kMaxRounds = 3;
  int rounds = 0;
  // An upload from a backup folder: what its run manifest keeps for the
  // file, should the file have no user.gwsync.headers (a file system
  // without user attributes).
  std::optional<KeptHeaders> manifest_kept;
  // A change feed's token for the change planned (ChangeSource::Finished).
  std::optional<uint64_t> token;
  Attempt attempt;  // the round under way
};
using JobPtr = std::shared_ptr<Job>;

}  // namespace gwsync::sync::internal
