// A download's resume record (transfer/resume.h), as anyone who can write
// in the destination folder may leave it on a file named like a partial
// download, read before the record is compared with the object. Beside not
// crashing: a record that decodes has a number for every range of its size,
// none past its range's length; written again it decodes again, and says
// no range holds more than it did (it may say less, never more).
#include <algorithm>
#include <string>

#include "fuzz_check.h"
#include "transfer/resume.h"

namespace transfer = gwsync::transfer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto record = transfer::DecodeResume(text);
  if (!record) return 0;
  FUZZ_CHECK(record->part_size > 0);
  const uint64_t parts = record->size / record->part_size + (record->size % record->part_size != 0);
  FUZZ_CHECK(record->written.size() == parts);
  for (size_t i = 0; i < parts; ++i) {
    const uint64_t length = std::min(record->part_size, record->size - i * record->part_size);
    FUZZ_CHECK(record->written[i] <= length);
  }
  auto again = transfer::DecodeResume(transfer::EncodeResume(*record));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->etag == record->etag && again->size == record->size &&
             again->part_size == record->part_size && again->written.size() == parts);
  for (size_t i = 0; i < parts; ++i) FUZZ_CHECK(again->written[i] <= record->written[i]);
  return 0;
}
