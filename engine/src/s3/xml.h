// Parsing of S3's XML responses and building of its XML request bodies
// (pugixml underneath). Pure functions, safe from any thread.
//
// Parsers accept any namespace or none, skip elements they do not need, and
// return text exactly as sent (entities decoded, whitespace kept: a key of
// " " stays " "). On XML they cannot read, or the wrong document, they return
// Internal("malformed ... response ..."); on an <Error> document, which some
// gateways send inside a 200, they return that error mapped as s3/errors.h
// does (an InternalError there comes back as Unavailable: AWS says retry).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gwsync/status.h"
#include "s3/types.h"

namespace gwsync::s3::xml {

StatusOr<std::vector<BucketInfo>> ParseListBuckets(std::string_view body);
// ListBucketResult of ListObjectsV2 or V1 (both shapes accepted). Keys are
// returned decoded: when EncodingType is "url", Key, common prefix and
// NextMarker values are URL-decoded ('+' is a space, as AWS writes it).
// next_marker is V1's NextMarker or, on a truncated page without one, the
// greater of the last key and the last common prefix. A truncated page with
// neither a token nor a marker is malformed (it would list forever).
StatusOr<ListPage> ParseListObjects(std::string_view body);
StatusOr<std::string> ParseInitiateMultipart(std::string_view body);  // the UploadId
// CompleteMultipartUploadResult's ETag (may be empty: some RGW releases send
// <ETag></ETag>). An <Error> document inside a 200 reply is returned as an error.
StatusOr<std::string> ParseCompleteMultipart(std::string_view body);
// ListPartsResult; next_part_number_marker falls back on the last part number
// of a truncated page.
StatusOr<PartsPage> ParseListParts(std::string_view body);
StatusOr<UploadsPage> ParseListMultipartUploads(std::string_view body);
// DeleteResult: the keys that failed (deleted ones are not returned). Older
// Ceph RGW's <Code>403</Code><Message>AccessDenied</Message> is normalised to
// code "AccessDenied", message "HTTP 403".
StatusOr<std::vector<DeleteError>> ParseDeleteResult(std::string_view body);
// CopyObjectResult's (or CopyPartResult's) ETag; an <Error> inside a 200
// reply is an error.
StatusOr<std::string> ParseCopyObject(std::string_view body);
// An <Error> document; false when `body` is not one (empty, HTML, other XML).
bool ParseError(std::string_view body, S3ErrorBody* out);

// Builders escape & < > " ' and control characters. XML 1.0 can carry only
// tab, LF and CR among the C0 controls (sent as &#9; &#10; &#13; so they
// survive parsing); any other control character is written as a character
// reference, which strict XML 1.0 parsers reject (MalformedXML): delete a key
// holding one on its own rather than in a batch.

// <CompleteMultipartUpload> with each part's number and quoted ETag, in the
// order given (S3 wants ascending part numbers).
std::string BuildCompleteMultipart(const std::vector<PartInfo>& parts);
// <Delete><Quiet>true</Quiet><Object><Key>..</Key></Object>...</Delete>
std::string BuildDelete(const std::vector<std::string>& keys);

// Strips the surrounding double quotes of an ETag ("\"abc\"" -> "abc").
std::string UnquoteEtag(std::string_view etag);

}  // namespace gwsync::s3::xml
