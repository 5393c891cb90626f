// The blocking listings of a bucket (objects, versions, unfinished uploads),
// at their boundaries: no key, one page, a page boundary, many pages; and a gateway that breaks the
// rules (a continuation that does not move on, keys that go back, a key outside the prefix, more
// keys than the budget) ends it with an error naming what the gateway did, never a loop or a page
// handed on. FakeS3 is the gateway, with scripted pages for the misbehaviour.
#include "s3/listing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/fake_s3.h"

namespace gwsync::s3 {
namespace {

using testing::FakeS3;
using testing::S3Call;

// A ListObjects answer as a gateway would send it.
std::string ListXml(const std::vector<std::string>& keys, bool truncated,
                    const std::string& token = "", const std::vector<std::string>& folders = {}) {
  std::string x = "<ListBucketResult><IsTruncated>";
  x += truncated ? "true" : "false";
  x += "</IsTruncated>";
  if (!token.empty()) x += "<NextContinuationToken>" + token + "</NextContinuationToken>";
  for (const auto& k : keys) x += "<Contents><Key>" + k + "</Key><Size>1</Size></Contents>";
  for (const auto& f : folders) x += "<CommonPrefixes><Prefix>" + f + "</Prefix></CommonPrefixes>";
  return x + "</ListBucketResult>";
}

class ListingTest : public ::testing::Test {
 protected:
  ListingTest() { fake_.CreateBucket("b"); }
  ~ListingTest() override { fake_.Stop(); }  // before the clients it calls back into

  void Put(const std::vector<std::string>& keys) {
    for (const auto& k : keys) fake_.PutObject("b", k, "x");
  }
  Client& client(uint64_t list_limit = 0) {
    ClientOptions o = FakeS3::ClientOptions();
    o.list_limit = list_limit;
    clients_.push_back(std::make_unique<Client>(&fake_, o));
    return *clients_.back();
  }
  // Serves `pages` in turn to the list requests `op` names.
  void Serve(const std::string& op, std::vector<std::string> pages) {
    fake_.Script([op](const S3Call& c) { return c.op == op; },
                 [pages, n = std::make_shared<size_t>(0)](const S3Call&) {
                   return pages[std::min((*n)++, pages.size() - 1)];
                 });
  }

  // Every page's names ("a b/ c", folders with their '/'), or the error
  // that ended the listing, after the pages before it.
  struct Walk {
    std::vector<std::string> pages;
    Status error;
  };
  // Drains any of the listings: `names` gives a page's line.
  template <class Listing, class Page, class Names>
  static Walk Drain(Listing& listing, Page page, Names names) {
    Walk w;
    for (int i = 0; i < 100; ++i) {
      auto more = listing.Next(&page);
      if (!more.ok()) {
        w.error = more.status();
        return w;
      }
      if (!*more) return w;
      w.pages.push_back(names(page));
    }
    ADD_FAILURE() << "still listing after 100 pages";
    return w;
  }
  static std::string Joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
    return out;
  }
  static Walk List(ObjectListing& listing) {
    return Drain(listing, ListPage(), [](const ListPage& page) {
      std::vector<std::string> names;
      for (const auto& o : page.objects) names.push_back(o.key);
      names.insert(names.end(), page.common_prefixes.begin(), page.common_prefixes.end());
      return Joined(names);
    });
  }
  Walk List(ListingOptions o, uint64_t list_limit = 0) {
    ObjectListing listing(client(list_limit), "b", std::move(o));
    return List(listing);
  }
  static ListingOptions PagesOf(int n, std::string prefix = "") {
    ListingOptions o;
    o.prefix = std::move(prefix);
    o.max_keys = n;
    return o;
  }

  FakeS3 fake_;
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST_F(ListingTest, NoKeysIsOneEmptyPage) {
  Walk w = List(PagesOf(1000));
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{""}));
  EXPECT_EQ(fake_.CountOp("ListObjectsV2"), 1);
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 0);  // one page asks for no budget
}

TEST_F(ListingTest, OnePage) {
  Put({"a", "b", "c"});
  Walk w = List(PagesOf(1000));
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a b c"}));
  EXPECT_EQ(fake_.CountOp("ListObjectsV2"), 1);
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 0);
}

TEST_F(ListingTest, ExactlyAPageBoundary) {
  Put({"a", "b"});
  EXPECT_EQ(List(PagesOf(2)).pages, (std::vector<std::string>{"a b"}));
  Put({"c", "d"});
  fake_.ResetCounts();
  EXPECT_EQ(List(PagesOf(2)).pages, (std::vector<std::string>{"a b", "c d"}));
  EXPECT_EQ(fake_.CountOp("ListObjectsV2"), 2);
}

// A gateway may say "truncated" at the boundary and send an empty last page.
TEST_F(ListingTest, AnEmptyLastPageEndsTheListing) {
  Serve("ListObjectsV2", {ListXml({"a", "b"}, true, "t1"), ListXml({}, false)});
  Walk w = List(PagesOf(2));
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a b", ""}));
}

TEST_F(ListingTest, SeveralPagesGiveEveryKeyOnceInOrder) {
  Put({"p/1", "p/2", "p/3", "p/4", "p/5", "p/6", "p/7", "q"});
  Walk w = List(PagesOf(2, "p/"));
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"p/1 p/2", "p/3 p/4", "p/5 p/6", "p/7"}));
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 1);  // the bucket's budget, asked once
}

TEST_F(ListingTest, FoldersOfALevel) {
  Put({"a", "d/1", "d/2", "e/1", "f"});
  ListingOptions o = PagesOf(2);
  o.delimiter = "/";
  EXPECT_EQ(List(o).pages, (std::vector<std::string>{"a d/", "f e/"}));
}

TEST_F(ListingTest, ARepeatedTokenIsTheGatewaysFaultNotALoop) {
  Serve("ListObjectsV2",
        {ListXml({"a"}, true, "same"), ListXml({"b"}, true, "same"), ListXml({"c"}, true, "same")});
  ObjectListing listing(client(), "b", PagesOf(1));
  Walk w = List(listing);
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a"}));  // "b" came with the repeat
  EXPECT_EQ(w.error.message(),
            "bucket 'b': the gateway repeated its continuation token: listing stopped");
  // Over: the same error again, and no more requests.
  ListPage page;
  EXPECT_EQ(listing.Next(&page).status().message(), w.error.message());
  EXPECT_EQ(fake_.CountOp("ListObjectsV2"), 2);
}

TEST_F(ListingTest, TokensThatGoRoundStop) {
  Serve("ListObjectsV2",
        {ListXml({"a"}, true, "t1"), ListXml({"b"}, true, "t2"), ListXml({"c"}, true, "t1"),
         ListXml({"d"}, true, "t2"), ListXml({"e"}, true, "t1"), ListXml({"f"}, true, "t2")});
  Walk w = List(PagesOf(1));
  EXPECT_NE(w.error.message().find("went round in a cycle"), std::string::npos)
      << w.error.ToString();
}

TEST_F(ListingTest, KeysGoingBackwardsStopWithoutThePage) {
  Serve("ListObjectsV2", {ListXml({"b", "c"}, true, "t1"), ListXml({"a", "d"}, false)});
  Walk w = List(PagesOf(2));
  EXPECT_EQ(w.pages, (std::vector<std::string>{"b c"}));
  EXPECT_EQ(w.error.message(),
            "bucket 'b': the gateway listed key 'a' after 'c', out of order: listing stopped");
}

TEST_F(ListingTest, KeysGoingBackwardsWithinAPageStopWithoutIt) {
  Serve("ListObjectsV2", {ListXml({"b", "a"}, false)});
  Walk w = List(PagesOf(2));
  EXPECT_TRUE(w.pages.empty());
  EXPECT_NE(w.error.message().find("out of order"), std::string::npos) << w.error.ToString();
}

TEST_F(ListingTest, AKeyOutsideThePrefixStops) {
  Serve("ListObjectsV2", {ListXml({"p/a", "q/b"}, false)});
  Walk w = List(PagesOf(2, "p/"));
  EXPECT_TRUE(w.pages.empty());
  EXPECT_NE(w.error.message().find("outside 'p/'"), std::string::npos) << w.error.ToString();
}

TEST_F(ListingTest, AFolderThatIsTheLevelItselfStops) {
  Serve("ListObjectsV2", {ListXml({}, false, "", {"p/"})});
  ListingOptions o = PagesOf(2, "p/");
  o.delimiter = "/";
  Walk w = List(o);
  EXPECT_NE(w.error.message().find("not a folder of 'p/'"), std::string::npos)
      << w.error.ToString();
}

TEST_F(ListingTest, MoreKeysThanTheListLimitStop) {
  Put({"1", "2", "3", "4", "5", "6", "7"});
  Walk w = List(PagesOf(2), 3);
  EXPECT_EQ(w.pages, (std::vector<std::string>{"1 2"}));
  EXPECT_NE(w.error.message().find("more than 3 keys"), std::string::npos) << w.error.ToString();
}

// A budget given is shared, and costs no HEAD.
TEST_F(ListingTest, AGivenBudgetIsSharedAndAsksNothing) {
  Put({"1", "2", "3", "4"});
  auto budget = std::make_shared<ListBudget>(std::nullopt, 6);
  ListingOptions o = PagesOf(2);
  o.budget = budget;
  EXPECT_TRUE(List(o).error.ok());
  Walk w = List(o);
  EXPECT_NE(w.error.message().find("more than 6 keys"), std::string::npos) << w.error.ToString();
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 0);
}

TEST_F(ListingTest, AnOldGatewayIsListedWithV1) {
  Put({"a", "b", "c", "d", "e"});
  fake_.Fail(FakeS3::Op("ListObjectsV2"), {400, "InvalidArgument", Status::Ok(), -1});
  ListingOptions o = PagesOf(2);
  EXPECT_FALSE(List(o).error.ok());  // only when asked
  o.v1_fallback = true;
  int answers = 0;
  o.on_answer = [&answers] { ++answers; };
  fake_.ResetCounts();
  Walk w = List(o);
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a b", "c d", "e"}));
  EXPECT_EQ(fake_.CountOp("ListObjectsV2"), 1);
  EXPECT_EQ(fake_.CountOp("ListObjects"), 3);
  EXPECT_EQ(answers, 4);  // the refusal is an answer too
}

TEST_F(ListingTest, V1MarkersMustMoveOnToo) {
  fake_.Fail(FakeS3::Op("ListObjectsV2"), {501, "NotImplemented", Status::Ok(), -1});
  const std::string stuck =
      "<ListBucketResult><IsTruncated>true</IsTruncated><NextMarker>m</NextMarker>"
      "</ListBucketResult>";
  Serve("ListObjects", {stuck});
  ListingOptions o = PagesOf(1);
  o.v1_fallback = true;
  Walk w = List(o);
  EXPECT_EQ(w.pages, (std::vector<std::string>{""}));
  EXPECT_NE(w.error.message().find("repeated its continuation token"), std::string::npos)
      << w.error.ToString();
  EXPECT_EQ(fake_.CountOp("ListObjects"), 2);
}

// Only a first request refused falls back: a gateway that served V2 and
// then fails has failed.
TEST_F(ListingTest, AFailureAfterTheFirstPageIsNotAnOldGateway) {
  Put({"a", "b", "c"});
  fake_.Fail([](const S3Call& c) { return c.op == "ListObjectsV2" && c.Has("continuation-token"); },
             {400, "InvalidArgument", Status::Ok(), -1});
  ListingOptions o = PagesOf(2);
  o.v1_fallback = true;
  Walk w = List(o);
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a b"}));
  EXPECT_EQ(w.error.s3_code(), "InvalidArgument") << w.error.ToString();
  EXPECT_EQ(fake_.CountOp("ListObjects"), 0);
}

// ListObjectVersions pages, as a gateway would send them.
std::string Version(const std::string& key, const std::string& id) {
  return "<Version><Key>" + key + "</Key><VersionId>" + id +
         "</VersionId><IsLatest>false</IsLatest><LastModified>2026-11-28T10:00:00.000Z"
         "</LastModified><ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>3</Size>"
         "</Version>";
}
std::string VersionsXml(const std::string& entries, bool truncated = false,
                        const std::string& key_marker = "", const std::string& id_marker = "") {
  std::string x = "<ListVersionsResult><IsTruncated>" + std::string(truncated ? "true" : "false") +
                  "</IsTruncated>";
  if (!key_marker.empty()) {
    x += "<NextKeyMarker>" + key_marker + "</NextKeyMarker><NextVersionIdMarker>" + id_marker +
         "</NextVersionIdMarker>";
  }
  return x + entries + "</ListVersionsResult>";
}

class VersionListingTest : public ListingTest {
 protected:
  void ServeVersions(std::vector<std::string> pages) {
    markers_ = std::make_shared<std::vector<std::string>>();
    fake_.Script([](const S3Call& c) { return c.Has("versions"); },
                 [pages, n = std::make_shared<size_t>(0), m = markers_](const S3Call& c) {
                   m->push_back(c.Query("key-marker") + "/" + c.Query("version-id-marker"));
                   return pages[std::min((*n)++, pages.size() - 1)];
                 });
  }
  // Every page's entries ("KEY:ID ..."), or the error that ended the listing.
  Walk ListVersions(const std::string& prefix, uint64_t list_limit = 0) {
    VersionListing listing(client(list_limit), "b", prefix);
    return Drain(listing, VersionsPage(), [](const VersionsPage& page) {
      std::vector<std::string> names;
      for (const auto& v : page.versions) names.push_back(v.key + ":" + v.version_id);
      return Joined(names);
    });
  }
  std::shared_ptr<std::vector<std::string>> markers_;
};

TEST_F(VersionListingTest, AKeysVersionsMayGoOnOverPages) {
  ServeVersions({VersionsXml(Version("p/a", "3") + Version("p/a", "2"), true, "p/a", "2"),
                 VersionsXml(Version("p/a", "1") + Version("p/b", "1"))});
  Walk w = ListVersions("p/");
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"p/a:3 p/a:2", "p/a:1 p/b:1"}));
  EXPECT_EQ(*markers_, (std::vector<std::string>{"/", "p/a/2"}));
}

TEST_F(VersionListingTest, NoVersionsIsOneEmptyPage) {
  ServeVersions({VersionsXml("")});
  Walk w = ListVersions("");
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{""}));
}

TEST_F(VersionListingTest, RepeatedMarkersStop) {
  ServeVersions({VersionsXml(Version("a", "2"), true, "a", "2"),
                 VersionsXml(Version("a", "1"), true, "a", "2")});
  Walk w = ListVersions("");
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a:2"}));
  EXPECT_EQ(w.error.message(),
            "listing the versions of s3://b: the gateway repeated its continuation token: "
            "listing stopped");
}

TEST_F(VersionListingTest, AKeyBackAfterTheNextStops) {
  ServeVersions({VersionsXml(Version("a", "1") + Version("b", "1"), true, "b", "1"),
                 VersionsXml(Version("a", "0"))});
  Walk w = ListVersions("");
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a:1 b:1"}));
  EXPECT_NE(w.error.message().find("out of order"), std::string::npos) << w.error.ToString();
}

// Every entry counts, a key's many versions too; and never a HEAD.
TEST_F(VersionListingTest, MoreEntriesThanTheListLimitStop) {
  ServeVersions({VersionsXml(Version("a", "3") + Version("a", "2") + Version("a", "1"))});
  Walk w = ListVersions("", 2);
  EXPECT_NE(w.error.message().find("more than 2 keys"), std::string::npos) << w.error.ToString();
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 0);
}

// Unfinished uploads, the fake paging them `page` at a time.
class UploadListingTest : public ListingTest {
 protected:
  // Starts an upload of each key (a key may come more than once).
  void Start(const std::vector<std::string>& keys) {
    Client& c = client();
    for (const auto& k : keys) {
      auto id = Wait<std::string>([&](auto done) { c.CreateMultipartUpload("b", k, {}, done); });
      ASSERT_TRUE(id.ok()) << id.status().ToString();
    }
  }
  // Every page's keys, or the error that ended the listing.
  Walk ListUploads(size_t page, std::shared_ptr<ListBudget> budget = nullptr) {
    fake_.set_uploads_page_size(page);
    fake_.ResetCounts();
    UploadListing listing(client(), "b", std::move(budget));
    return Drain(listing, UploadsPage(), [](const UploadsPage& page) {
      std::vector<std::string> names;
      for (const auto& u : page.uploads) names.push_back(u.key);
      return Joined(names);
    });
  }
  static std::string UploadsXml(const std::vector<std::string>& keys, bool truncated,
                                const std::string& key_marker = "",
                                const std::string& id_marker = "") {
    std::string x = "<ListMultipartUploadsResult><IsTruncated>" +
                    std::string(truncated ? "true" : "false") + "</IsTruncated>";
    if (!key_marker.empty()) {
      x += "<NextKeyMarker>" + key_marker + "</NextKeyMarker><NextUploadIdMarker>" + id_marker +
           "</NextUploadIdMarker>";
    }
    for (const auto& k : keys)
      x += "<Upload><Key>" + k + "</Key><UploadId>id-" + k + "</UploadId></Upload>";
    return x + "</ListMultipartUploadsResult>";
  }
};

TEST_F(UploadListingTest, NoUploadsIsOneEmptyPage) {
  Walk w = ListUploads(2);
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{""}));
  EXPECT_EQ(fake_.CountOp("ListMultipartUploads"), 1);
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 0);
}

TEST_F(UploadListingTest, OneUpload) {
  Start({"a"});
  Walk w = ListUploads(2);
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a"}));
  EXPECT_EQ(fake_.CountOp("ListMultipartUploads"), 1);
}

TEST_F(UploadListingTest, ExactlyAPage) {
  Start({"a", "b"});
  Walk w = ListUploads(2);
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a b"}));
  EXPECT_EQ(fake_.CountOp("ListMultipartUploads"), 1);
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 0);
}

TEST_F(UploadListingTest, APageAndOneMore) {
  Start({"a", "b", "c"});
  Walk w = ListUploads(2);
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a b", "c"}));
  EXPECT_EQ(fake_.CountOp("ListMultipartUploads"), 2);
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 1);  // the bucket's budget, asked once
}

// The upload-id marker carries a key's uploads on over a page boundary.
TEST_F(UploadListingTest, AKeysUploadsMayGoOnOverPages) {
  Start({"k", "k", "k"});
  Walk w = ListUploads(1);
  ASSERT_TRUE(w.error.ok()) << w.error.ToString();
  EXPECT_EQ(w.pages, (std::vector<std::string>{"k", "k", "k"}));
}

TEST_F(UploadListingTest, RepeatedMarkersStop) {
  Serve("ListMultipartUploads",
        {UploadsXml({"a"}, true, "a", "id-a"), UploadsXml({"b"}, true, "a", "id-a")});
  Walk w = ListUploads(1);
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a"}));  // "b" came with the repeat
  EXPECT_EQ(w.error.message(),
            "bucket 'b' unfinished uploads: the gateway repeated its continuation token: "
            "listing stopped");
}

TEST_F(UploadListingTest, MarkersThatGoRoundStop) {
  Serve("ListMultipartUploads",
        {UploadsXml({"a"}, true, "a", "1"), UploadsXml({"b"}, true, "b", "1"),
         UploadsXml({"a"}, true, "a", "1"), UploadsXml({"b"}, true, "b", "1"),
         UploadsXml({"a"}, true, "a", "1"), UploadsXml({"b"}, true, "b", "1")});
  Walk w = ListUploads(1);
  EXPECT_NE(w.error.message().find("went round in a cycle"), std::string::npos)
      << w.error.ToString();
}

// Every upload counts; a given budget asks for no HEAD.
TEST_F(UploadListingTest, MoreUploadsThanTheBudgetStop) {
  Start({"a", "b", "c"});
  Walk w = ListUploads(1, std::make_shared<ListBudget>(std::nullopt, 2));
  EXPECT_EQ(w.pages, (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(w.error.message().find("more than 2 keys"), std::string::npos) << w.error.ToString();
  EXPECT_EQ(fake_.CountOp("HeadBucket"), 0);
}

}  // namespace
}  // namespace gwsync::s3
