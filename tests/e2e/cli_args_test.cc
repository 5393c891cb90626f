// What the gwsync binary ($GWSYNC_BIN) does without a gateway: argument
// errors (exit 2, one line naming the problem) and each command's help.
#include "e2e/run_gwsync.h"
#include "support/gateway.h"

namespace gwsync::e2e {
namespace {

using gwsync::testing::TempDir;

// What needs no gateway: argument errors and help.
class CliArgumentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = GwsyncBin();
    ASSERT_FALSE(bin_.empty());
  }
  Result Run(const std::vector<std::string>& args) {
    return e2e::Run(bin_, args, {{"HOME", home_.path()}, {"PATH", "/usr/bin:/bin"}}, "");
  }
  std::string bin_;
  TempDir home_;
};

TEST_F(CliArgumentsTest, ArgumentErrorsExitTwoWithOneLine) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{}, "subcommand is required"},
           {{"nosuch"}, "unknown command 'nosuch'"},
           {{"ls", "--bogus"}, "--bogus"},
           {{"--bogus", "ls"}, "--bogus"},
           {{"--concurrency", "many", "ls"}, "--concurrency"},
           {{"ls", "--endpoint"}, "--endpoint"},
           {{"sync", "only-one"}, "destination is required"},
           {{"get", "s3://b/k"}, "destination is required"},
           {{"put", "s3://b/k", "file"}, "usage: gwsync put"},
           {{"rm"}, "targets is required"},
           {{"mb", "s3://a", "s3://b"}, "s3://b"},
           {{"mb", "s3://a", "-"}, "not expected: -"},  // a stray stdin, not an option
           {{"bench", "compare", "a.json"}, "after is required"},
       }) {
    Result r = Run(c.args);
    std::string line = ExpectOneErrorLine(r);
    EXPECT_EQ(r.exit_code, 2) << r;
    EXPECT_TRUE(Contains(line, c.says));
    EXPECT_TRUE(Contains(line, "--help"));
  }
  Result version = Run({"--version"});
  ExpectOk(version);
  EXPECT_EQ(version.out, "gwsync 0.1.0\n");
}

TEST_F(CliArgumentsTest, AMistypedOptionOrCommandGetsTheNearName) {
  struct Case {
    std::vector<std::string> args;
    std::string line;
  };
  for (const Case& c : std::vector<Case>{
           {{"sync", "--dleete", "a", "b"},
            "gwsync: unknown option '--dleete' (did you mean '--delete'?)\n"},
           {{"sync", "a", "b", "--dry-rnu"},
            "gwsync: unknown option '--dry-rnu' (did you mean '--dry-run'?)\n"},
           // Before a missing argument, the mistyped option is the cause.
           {{"sync", "--dleete"}, "gwsync: unknown option '--dleete' (did you mean '--delete'?)\n"},
           // A global option after the command; a value given with '='.
           {{"ls", "--endpiont=http://x"},
            "gwsync: unknown option '--endpiont' (did you mean '--endpoint'?)\n"},
           // The value, maybe a secret, is not repeated.
           {{"ls", "--secret-kye", "hunter2"},
            "gwsync: unknown option '--secret-kye' (did you mean '--secret-key'?)\n"},
           {{"sycn", "a", "b"}, "gwsync: unknown command 'sycn' (did you mean 'sync'?)\n"},
           {{"report", "mrege", "a.json"},
            "gwsync: unknown command 'mrege' (did you mean 'merge'?)\n"},
           {{"--delete", "sync", "a", "b"},
            "gwsync: '--delete' is an option of 'gwsync sync': give it after 'sync' (see gwsync "
            "sync --help)\n"},
           // Nothing near: no guess, the help instead.
           {{"sync", "--bogus", "a", "b"},
            "gwsync: unknown option '--bogus' (see gwsync sync --help)\n"},
           {{"xx"}, "gwsync: unknown command 'xx' (see gwsync --help)\n"},
       }) {
    Result r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << r;
    EXPECT_EQ(r.err, c.line) << r;
    EXPECT_EQ(r.out, "") << r;
  }
}

TEST_F(CliArgumentsTest, CommandHelpShowsTheGlobalOptions) {
  for (const char* cmd : {"ls", "mb", "rb", "put", "get", "cp", "rm", "sync", "bench"}) {
    Result r = Run({cmd, "--help"});
    ExpectOk(r);
    EXPECT_TRUE(Contains(r.out, std::string("Usage: gwsync ") + cmd)) << r;
    EXPECT_TRUE(Contains(r.out, "Global options:")) << r;
    for (const char* global :
         {"--endpoint URL", "--access-key", "--secret-key", "--config", "--bwlimit", "--quiet"}) {
      EXPECT_TRUE(Contains(r.out, global)) << cmd;
    }
  }
  // bench's own --concurrency is listed once, not beside the global one.
  Result bench = Run({"bench", "--help"});
  size_t first = bench.out.find("--concurrency");
  ASSERT_NE(first, std::string::npos) << bench;
  EXPECT_EQ(bench.out.find("\n  --concurrency", first + 1), std::string::npos) << bench;
  Result top = Run({"--help"});
  ExpectOk(top);
  EXPECT_FALSE(Contains(top.out, "Global options:"));  // they are the options there
}

}  // namespace
}  // namespace gwsync::e2e
