// The names a user types (s3/url.h): s3:// URLs, bucket names and endpoints.
// What parses must print back to itself and parse again to the same value.
#include <string>

#include "fuzz_check.h"
#include "s3/url.h"

namespace s3 = gwsync::s3;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)s3::IsS3Url(text);
  if (auto url = s3::ParseS3Url(text); url.ok()) {
    FUZZ_CHECK(s3::IsS3Url(text));
    FUZZ_CHECK(url->bucket.empty() || s3::ValidateBucketName(url->bucket).ok());
    auto again = s3::ParseS3Url(url->ToString());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->bucket == url->bucket && again->key == url->key);
  }
  for (bool https : {false, true}) {
    auto ep = s3::ParseEndpoint(text, https);
    if (!ep.ok()) continue;
    FUZZ_CHECK(ep->scheme == "http" || ep->scheme == "https");
    FUZZ_CHECK(!ep->host.empty() && ep->port >= 0 && ep->port <= 65535);
    auto again = s3::ParseEndpoint(ep->BaseUrl());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->scheme == ep->scheme && again->host == ep->host && again->port == ep->port);
    (void)s3::VirtualHostAddressable(text, *ep);
    (void)s3::VirtualHostAddressable("bucket", *ep);
  }
  return 0;
}
