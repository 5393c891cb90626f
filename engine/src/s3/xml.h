// Parsing of S3's XML responses and building of its XML request bodies
// (pugixml underneath). Pure functions, safe from any thread.
//
// Parsers read an answer by the elements that matter, as the AWS SDKs do:
// any root name (AWS's <...Result>, moto's <...Response>, a wrapper around
// either), any namespace or none, optional elements missing, ETags quoted or
// not. They skip elements they do not need and return text exactly as sent
// (entities decoded, whitespace kept: a key of " " stays " "). On XML they
// cannot read, or a document that is not the answer (an HTML page), they
// return Internal("malformed ... response ..."); on an <Error> document,
// which some gateways send inside a 200, they return that error mapped as
// s3/errors.h does (an InternalError there comes back as Unavailable: AWS
// says retry).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gwsync/status.h"
#include "s3/types.h"

namespace gwsync::s3::xml {

StatusOr<std::vector<BucketInfo>> ParseListBuckets(std::string_view body);
// A page of ListObjectsV2 or V1 (both shapes accepted). Keys are
// returned decoded: when EncodingType is "url", Key, common prefix and
// NextMarker values are URL-decoded ('+' is a space, as AWS writes it).
// next_marker is V1's NextMarker or, on a truncated page without one, the
// greater of the last key and the last common prefix. A truncated page with
// neither a token nor a marker is malformed (it would list forever).
StatusOr<ListPage> ParseListObjects(std::string_view body);
// A page of ListObjectVersions: <Version> and <DeleteMarker> entries in the
// order sent (keys url-decoded when EncodingType is "url"; a missing
// VersionId is "null"). A truncated page without NextKeyMarker continues
// after its last entry; one with no entry at all is malformed.
StatusOr<VersionsPage> ParseListObjectVersions(std::string_view body);
StatusOr<std::string> ParseInitiateMultipart(std::string_view body);  // the UploadId
// The completed object's ETag (may be empty: some RGW releases send
// <ETag></ETag>). An <Error> document inside a 200 reply is returned as an error.
StatusOr<std::string> ParseCompleteMultipart(std::string_view body);
// A page of ListParts; a truncated page without NextPartNumberMarker
// continues after its last part, and one with nothing to continue from is
// malformed.
StatusOr<PartsPage> ParseListParts(std::string_view body);
// A page of ListMultipartUploads; likewise with NextKeyMarker and the last
// upload.
StatusOr<UploadsPage> ParseListMultipartUploads(std::string_view body);
// DeleteObjects' answer: the keys that failed (deleted ones are not returned). Older
// Ceph RGW's <Code>403</Code><Message>AccessDenied</Message> is normalised to
// code "AccessDenied", message "HTTP 403".
StatusOr<std::vector<DeleteError>> ParseDeleteResult(std::string_view body);
// CopyObject's (or UploadPartCopy's) ETag; an <Error> inside a 200
// reply is an error.
StatusOr<std::string> ParseCopyObject(std::string_view body);
// GetObjectTagging's tags (key, value), in document order.
StatusOr<std::vector<std::pair<std::string, std::string>>> ParseTagging(std::string_view body);
// One <TopicConfiguration> of a bucket's notification configuration.
struct TopicConfiguration {
  std::string id;
  std::string topic;  // the topic's ARN
  std::vector<std::string> events;
};

// The SNS-style topic API that RGW serves for bucket notifications:
// CreateTopic's TopicArn; ListTopics' ARNs, in the order sent;
// GetTopicAttributes' entries (key, value), in the order sent.
StatusOr<std::string> ParseCreateTopic(std::string_view body);
StatusOr<std::vector<std::string>> ParseListTopics(std::string_view body);
StatusOr<std::vector<std::pair<std::string, std::string>>> ParseTopicAttributes(
    std::string_view body);
// GetBucketNotificationConfiguration's topic configurations (an empty body or
// configuration: none).
StatusOr<std::vector<TopicConfiguration>> ParseNotificationConfiguration(std::string_view body);
// An <Error> document (or one wrapped in <ErrorResponse>); false when `body`
// is not one (empty, HTML, other XML).
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

// `s` as XML character data or an attribute value (entities, and character
// references for control characters, as BuildDelete writes keys).
std::string Escape(std::string_view s);

// Strips the surrounding double quotes of an ETag ("\"abc\"" -> "abc").
std::string UnquoteEtag(std::string_view etag);

}  // namespace gwsync::s3::xml
