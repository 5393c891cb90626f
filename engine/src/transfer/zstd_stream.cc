#include "transfer/zstd_stream.h"

#include <unistd.h>
#include <zstd.h>

#include <cerrno>

#include "fileio/errno_status.h"

namespace gwsync::transfer {

struct ZstdReader::Ctx {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~Ctx() { ZSTD_freeCCtx(cctx); }
};

StatusOr<std::unique_ptr<ZstdReader>> ZstdReader::Create(int fd, int level) {
  std::unique_ptr<ZstdReader> r(new ZstdReader(fd));
  r->ctx_ = std::make_unique<Ctx>();
  if (r->ctx_->cctx == nullptr) return Internal("zstd: cannot create a compression context");
  for (auto [param, value] :
       {std::pair{ZSTD_c_compressionLevel, level}, std::pair{ZSTD_c_checksumFlag, 1}}) {
    size_t rc = ZSTD_CCtx_setParameter(r->ctx_->cctx, param, value);
    if (ZSTD_isError(rc)) return InvalidArgument(std::string("zstd: ") + ZSTD_getErrorName(rc));
  }
  return r;
}

ZstdReader::ZstdReader(int fd) : fd_(fd) {}
ZstdReader::~ZstdReader() = default;

StatusOr<size_t> ZstdReader::Read(std::span<char> out) {
  ZSTD_outBuffer output{out.data(), out.size(), 0};
  while (output.pos < output.size && !done_) {
    if (in_pos_ == in_.size() && !eof_) {
      in_.resize(ZSTD_CStreamInSize());
      ssize_t n;
      do {
        n = read(fd_, in_.data(), in_.size());
      } while (n < 0 && errno == EINTR);
      if (n < 0) return fileio::ErrnoStatus("read from input", errno);
      in_.resize(static_cast<size_t>(n));
      in_pos_ = 0;
      consumed_ += static_cast<uint64_t>(n);
      eof_ = n == 0;
    }
    ZSTD_inBuffer input{in_.data(), in_.size(), in_pos_};
    size_t left =
        ZSTD_compressStream2(ctx_->cctx, &output, &input, eof_ ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(left));
    in_pos_ = input.pos;
    if (eof_ && left == 0) done_ = true;
  }
  return output.pos;
}

struct ZstdDecompressSink::Ctx {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  ~Ctx() { ZSTD_freeDCtx(dctx); }
};

StatusOr<std::shared_ptr<ZstdDecompressSink>> ZstdDecompressSink::Create(
    std::shared_ptr<http::BodySink> out) {
  std::shared_ptr<ZstdDecompressSink> s(new ZstdDecompressSink(std::move(out)));
  s->ctx_ = std::make_unique<Ctx>();
  if (s->ctx_->dctx == nullptr) return Internal("zstd: cannot create a decompression context");
  s->buf_.resize(ZSTD_DStreamOutSize());
  return s;
}

ZstdDecompressSink::ZstdDecompressSink(std::shared_ptr<http::BodySink> out)
    : out_(std::move(out)) {}
ZstdDecompressSink::~ZstdDecompressSink() = default;

Status ZstdDecompressSink::Write(std::string_view data) {
  ZSTD_inBuffer input{data.data(), data.size(), 0};
  for (;;) {
    ZSTD_outBuffer output{buf_.data(), buf_.size(), 0};
    size_t before = input.pos;
    size_t hint = ZSTD_decompressStream(ctx_->dctx, &output, &input);
    if (ZSTD_isError(hint)) {
      return DataLoss(std::string("not valid zstd data: ") + ZSTD_getErrorName(hint));
    }
    // A call that moved nothing past a frame's end asks for the next frame's
    // header: still at a boundary.
    if (input.pos > before || output.pos > 0) last_hint_ = hint;
    if (output.pos > 0) {
      RETURN_IF_ERROR(out_->Write(std::string_view(buf_.data(), output.pos)));
      produced_ += output.pos;
    }
    // Done when the input is used up and the decoder has nothing more to give.
    if (input.pos == input.size && output.pos < output.size) return Status::Ok();
  }
}

bool ZstdDecompressSink::Restart() {
  if (!out_->Restart()) return false;
  ZSTD_DCtx_reset(ctx_->dctx, ZSTD_reset_session_only);
  last_hint_ = 0;
  produced_ = 0;
  return true;
}

Status ZstdDecompressSink::Finish() {
  if (last_hint_ != 0) return DataLoss("the zstd data ends in the middle of a frame");
  return Status::Ok();
}

}  // namespace gwsync::transfer
