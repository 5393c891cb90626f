// Every key of a bucket comes back from a folder backup: keys a folder cannot
// hold under their own name (a key that is also a folder, empty, "." and ".."
// segments, a name longer than 255 bytes, keys under the state folder,
// markers with and without content) are kept in the backup's key store and
// restored to their exact keys, while every other key keeps its own path.
// None is an error, none stops a --delete, and a second run moves nothing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/pipeline_fixture.h"

namespace gwsync::sync {
namespace {

using plan::KeyStorePath;

Tree AwkwardBucket() {
  return {
      {"a", "a file named like a folder"},
      {"a/b", "inside the folder a"},
      {"x//y", "an empty segment"},
      {"./x", "a dot"},
      {"x/./y", "a dot inside"},
      {"x/../y", "a dot dot inside"},
      {"/abs", "a leading slash"},
      {std::string(300, 'n') + "/f", "a name of 300 bytes"},
      {".gwsync", "the state folder's own name"},
      {".gwsync/anything", "under the state folder"},
      {".gwsync/manifest-latest", "not gwsync's"},
      {"real/data.txt", "ordinary"},
      {"withcontent/", "a marker with bytes"},
      {"reports/", ""},
  };
}

TEST_F(PipelineTest, EveryKeyBacksUpAndRestoresExactly) {
  const Tree bucket = AwkwardBucket();
  PutTree("b", bucket);
  const std::string backup = Dir("backup");

  SyncReport down = SyncOk(Bucket("b"), Local(backup));
  EXPECT_EQ(down.error_count, 0u);
  EXPECT_EQ(Count(down, "download"), bucket.size());
  EXPECT_EQ(down.source_objects, bucket.size());
  // Eleven keys go to the key store by their names, and `a` when `a/b`
  // needs the folder: twelve, the first run and every later one.
  EXPECT_EQ(down.key_store_count, 12u);
  // The ordinary keys keep their place in the tree, as s3cmd would lay them out.
  Tree tree = ReadTree(backup);
  EXPECT_EQ(tree["real/data.txt"], "ordinary");
  EXPECT_EQ(tree["a/b"], "inside the folder a");
  EXPECT_TRUE(fs::is_directory(backup + "/reports")) << "a marker's folder is made too";
  EXPECT_TRUE(fs::exists(backup + "/" + KeyStorePath("x//y")));
  EXPECT_EQ(ReadFile(backup + "/" + KeyStorePath("a")), "a file named like a folder");

  // Nothing moves the second time, and nothing is extra with --delete.
  options_.delete_extra = true;
  SyncReport again = SyncOk(Bucket("b"), Local(backup));
  EXPECT_EQ(Count(again, "download"), 0u);
  EXPECT_EQ(Count(again, "delete"), 0u);
  EXPECT_EQ(Count(again, "skip: unchanged"), bucket.size());
  EXPECT_EQ(again.key_store_count, 12u);

  // Restored into a new bucket: the same keys and bytes, no more.
  gateway_.CreateBucket("restored");
  SyncReport up = SyncOk(Local(backup + "/"), Bucket("restored"));
  EXPECT_EQ(up.key_store_count, 12u);
  EXPECT_EQ(gateway_.Contents("restored"), bucket);
  SyncReport up_again = SyncOk(Local(backup + "/"), Bucket("restored"));
  EXPECT_EQ(Count(up_again, "upload"), 0u);
}

// A key deleted from the bucket goes from the key store too (--delete), and
// a key that is no longer a folder's clash stays where it is.
TEST_F(PipelineTest, DeletesReachTheKeyStore) {
  PutTree("b", {{"a", "1"}, {"a/b", "2"}, {"x//y", "3"}, {"keep", "4"}});
  const std::string backup = Dir("backup");
  SyncOk(Bucket("b"), Local(backup));
  gateway_.DeleteObject("b", "x//y");
  gateway_.DeleteObject("b", "a/b");
  options_.delete_extra = true;
  SyncReport r = SyncOk(Bucket("b"), Local(backup));
  EXPECT_EQ(Count(r, "delete"), 2u);
  EXPECT_FALSE(fs::exists(backup + "/" + KeyStorePath("x//y")));
  EXPECT_EQ(ReadFile(backup + "/" + KeyStorePath("a")), "1");
  gateway_.CreateBucket("restored");
  SyncOk(Local(backup + "/"), Bucket("restored"));
  EXPECT_EQ(gateway_.Contents("restored"), (Tree{{"a", "1"}, {"keep", "4"}}));
}

// `a` and `a/b` in flight at once (many transfers, a slow gateway): whichever
// lands first, `a` ends in the key store and `a/b` in the tree.
TEST_F(PipelineTest, AKeyThatIsAlsoAFolderWhateverLandsFirst) {
  Tree bucket;
  for (int i = 0; i < 20; ++i) {
    std::string n = std::to_string(i);
    bucket["d" + n] = "file " + n;
    bucket["d" + n + "/x"] = "in folder " + n;
  }
  PutTree("b", bucket);
  gateway_.set_latency(std::chrono::milliseconds(5));
  const std::string backup = Dir("backup");
  SyncReport r = SyncOk(Bucket("b"), Local(backup));
  EXPECT_EQ(Count(r, "download"), bucket.size());
  for (int i = 0; i < 20; ++i) {
    std::string n = std::to_string(i);
    EXPECT_EQ(ReadFile(backup + "/d" + n + "/x"), "in folder " + n);
    EXPECT_EQ(ReadFile(backup + "/" + KeyStorePath("d" + n)), "file " + n);
  }
  SyncReport again = SyncOk(Bucket("b"), Local(backup));
  EXPECT_EQ(Count(again, "skip: unchanged"), bucket.size());
  gateway_.CreateBucket("restored");
  SyncOk(Local(backup + "/"), Bucket("restored"));
  EXPECT_EQ(gateway_.Contents("restored"), bucket);
}

// A folder of the key's name made between a download and its rename (what
// `a/b` landing at that very moment does): the rename tells, and the file
// goes to the key store instead of failing.
class FolderAppearsAtCommit : public FileSystem {
 public:
  Status Commit(fileio::TempFile& temp) override {
    mkdirat(temp.dir()->get(), temp.name().c_str(), 0755);
    return FileSystem::Commit(temp);
  }
};

TEST_F(PipelineTest, AFolderMadeJustBeforeTheRenameSendsTheFileToTheKeyStore) {
  PutTree("b", {{"a", "1"}});
  FolderAppearsAtCommit racing;
  options_.file_system = &racing;
  const std::string backup = Dir("backup");
  SyncReport r = SyncOk(Bucket("b"), Local(backup));
  EXPECT_EQ(ReadFile(backup + "/" + KeyStorePath("a")), "1");
  EXPECT_TRUE(fs::is_directory(backup + "/a"));
  EXPECT_EQ(r.key_store_count, 1u);
}

// A backup of a prefix keeps the prefix's own state folder apart from the
// keys under PREFIX/.gwsync/.
TEST_F(PipelineTest, APrefixsStateFolderKeysAreKeptToo) {
  PutTree("b", {{"p/.gwsync/x", "user's"}, {"p/y", "y"}, {"q/z", "other prefix"}});
  const std::string backup = Dir("backup");
  SyncReport r = SyncOk(Bucket("b", "p/"), Local(backup));
  EXPECT_EQ(Count(r, "download"), 2u);
  gateway_.CreateBucket("restored");
  SyncOk(Local(backup + "/"), Bucket("restored", "p/"));
  EXPECT_EQ(gateway_.Contents("restored"), (Tree{{"p/.gwsync/x", "user's"}, {"p/y", "y"}}));
}

// --links: an object named `.gwsync.rclonelink` would make the state folder
// a link to wherever its body says (another backup's state folder). It is
// kept in the key store as the file it is; the state folder is never made a
// link and what the body names is untouched; a restore gives the object back.
TEST_F(PipelineTest, ALinkObjectNamedLikeTheStateFolderIsNeverFollowed) {
  const std::string victim = Dir("victim");
  WriteTree(victim, {{"manifest-latest", "another backup's"}});
  PutTree("b", {{".gwsync.rclonelink", victim}, {"data", "d"}});
  options_.store_links = true;
  const std::string backup = Dir("backup");
  SyncReport r = SyncOk(Bucket("b"), Local(backup));
  EXPECT_EQ(r.key_store_count, 1u);
  EXPECT_FALSE(fs::is_symlink(backup + "/.gwsync"));
  EXPECT_EQ(ReadFile(backup + "/" + KeyStorePath(".gwsync.rclonelink")), victim);
  EXPECT_EQ(ReadTree(victim), (Tree{{"manifest-latest", "another backup's"}}));
  gateway_.CreateBucket("restored");
  SyncOk(Local(backup + "/"), Bucket("restored"));
  EXPECT_EQ(gateway_.Contents("restored"), (Tree{{".gwsync.rclonelink", victim}, {"data", "d"}}));
}

}  // namespace
}  // namespace gwsync::sync
