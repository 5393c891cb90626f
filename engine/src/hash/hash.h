// Digests used by the engine: MD5 (Content-MD5, ETags), SHA-256 and
// HMAC-SHA256/SHA1 (request signing), xxh3-128 (change detection).
// Free functions are pure; the incremental hashers are single-threaded
// objects (one owner at a time, any thread).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace gwsync::hash {

using Md5Digest = std::array<uint8_t, 16>;
using Sha256Digest = std::array<uint8_t, 32>;

std::string Hex(std::span<const uint8_t> bytes);
std::string Base64(std::span<const uint8_t> bytes);
// Returns false on malformed input.
bool FromHex(std::string_view hex, std::string* out);

Md5Digest Md5(std::string_view data);
Sha256Digest Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
Sha256Digest HmacSha256(std::string_view key, std::string_view data);
std::array<uint8_t, 20> HmacSha1(std::string_view key, std::string_view data);

// Incremental MD5, e.g. over a streamed body.
class Md5Hasher {
 public:
  Md5Hasher();
  ~Md5Hasher();
  Md5Hasher(Md5Hasher&&) noexcept;
  Md5Hasher& operator=(Md5Hasher&&) noexcept;
  void Update(std::string_view data);
  Md5Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Incremental SHA-256 (manifests' --manifest-sha256); Finish starts afresh.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  void Update(std::string_view data);
  Sha256Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Incremental xxh3-128, hex-encoded result (32 chars).
class Xxh3Hasher {
 public:
  Xxh3Hasher();
  ~Xxh3Hasher();
  Xxh3Hasher(Xxh3Hasher&&) noexcept;
  Xxh3Hasher& operator=(Xxh3Hasher&&) noexcept;
  void Update(std::string_view data);
  std::string FinishHex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Xxh3Hex(std::string_view data);
uint64_t Xxh3_64(std::string_view data);

}  // namespace gwsync::hash
