// A stand-in S3 gateway for the benchmarks: an HTTP/1.1 keep-alive server
// on 127.0.0.1 in a child process forked before anything else, so the CPU a
// benchmark counts (getrusage of its own process) is the client's alone.
//
// It answers as far as gwsync asks in a benchmark: PUT with ETag = MD5 of
// the body; GET of a key with the bucket's one object body (a Range too);
// ListObjectsV2 of the bucket "down" with `keys` keys (k/00000000 ...), each
// that body, 1000 a page, and of any other bucket with none; anything else
// (HEAD bucket) with an empty 200.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <cstdint>

#include "s3/client.h"

namespace gwsync::bench {

struct StandIn {
  int port = 0;
};

// Forks the server; the child ends with this process. `object_size`: the
// size of every object GET returns and the listing names.
StandIn StartStandIn(size_t object_size, uint64_t keys);

// A client's options for the stand-in on `port` (any keys do).
s3::ClientOptions StandInClient(int port);

// User and system CPU of this process so far, in seconds.
double ProcessCpuSeconds(rusage* ru);

}  // namespace gwsync::bench
