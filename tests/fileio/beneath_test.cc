// OpenBeneath opens what lies beneath a folder and nothing a link leads to,
// with openat2 and with the walk older kernels get.
#include "fileio/beneath.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace gwsync::fileio {
namespace {

class OpenBeneathTest : public ::testing::TestWithParam<Resolver> {
 protected:
  OpenBeneathTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gwsync-beneath-XXXXXX").string();
    root_ = mkdtemp(tmpl.data());
    std::filesystem::create_directories(root_ + "/tree/sub");
    std::filesystem::create_directories(root_ + "/secret");
    std::ofstream(root_ + "/tree/sub/file") << "mine";
    std::ofstream(root_ + "/secret/file") << "not yours";
    fd_ = open((root_ + "/tree").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  ~OpenBeneathTest() override {
    close(fd_);
    std::filesystem::remove_all(root_);
  }
  // What OpenBeneath gives for `rel`: the file's content, or errno's name.
  std::string Read(const std::string& rel) {
    int fd = OpenBeneath(fd_, rel, O_RDONLY, GetParam());
    if (fd < 0) return std::string("errno ") + strerrorname_np(errno);
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    return n < 0 ? "a folder" : std::string(buf, static_cast<size_t>(n));
  }

  std::string root_;
  int fd_ = -1;
};

TEST_P(OpenBeneathTest, OpensWhatIsBeneath) {
  EXPECT_EQ(Read("sub/file"), "mine");
  EXPECT_EQ(Read(""), "a folder");
  EXPECT_EQ(Read("sub"), "a folder");
  EXPECT_EQ(Read("sub/none"), "errno ENOENT");
  EXPECT_EQ(Read("sub/file/x"), "errno ENOTDIR");
}

TEST_P(OpenBeneathTest, AFolderSwappedForALinkIsNotFollowed) {
  const std::string tree = root_ + "/tree";
  ASSERT_EQ(rename((tree + "/sub").c_str(), (tree + "/sub.real").c_str()), 0);
  ASSERT_EQ(symlink((root_ + "/secret").c_str(), (tree + "/sub").c_str()), 0);
  EXPECT_EQ(Read("sub/file"), "errno ELOOP");
  EXPECT_EQ(Read("sub"), "errno ELOOP");
  // A relative link that stays inside is refused all the same.
  ASSERT_EQ(symlink("sub.real", (tree + "/inside").c_str()), 0);
  EXPECT_EQ(Read("inside/file"), "errno ELOOP");
  EXPECT_EQ(Read("sub.real/file"), "mine");
}

TEST_P(OpenBeneathTest, AFileSwappedForALinkIsNotFollowed) {
  const std::string file = root_ + "/tree/sub/file";
  ASSERT_EQ(unlink(file.c_str()), 0);
  ASSERT_EQ(symlink((root_ + "/secret/file").c_str(), file.c_str()), 0);
  EXPECT_EQ(Read("sub/file"), "errno ELOOP");
}

TEST_P(OpenBeneathTest, PathsThatWouldLeaveAreRefused) {
  for (const char* rel : {"../secret/file", "sub/../../secret/file", "/etc/passwd", "sub//file",
                          "./sub/file", "sub/", "sub/."}) {
    EXPECT_EQ(Read(rel), "errno EINVAL") << rel;
  }
}

INSTANTIATE_TEST_SUITE_P(Resolvers, OpenBeneathTest,
                         ::testing::Values(Resolver::kOpenat2, Resolver::kWalk),
                         [](const auto& info) {
                           return info.param == Resolver::kOpenat2 ? "Openat2" : "Walk";
                         });

TEST(OpenBeneath, ThisKernelHasOpenat2) {
  // Recorded, not required: the walk covers kernels without it.
  std::cout << "default resolver: "
            << (DefaultResolver() == Resolver::kOpenat2 ? "openat2" : "walk") << "\n";
  ForceResolverForTesting(Resolver::kWalk);
  EXPECT_EQ(DefaultResolver(), Resolver::kWalk);
  ForceResolverForTesting(std::nullopt);
}

}  // namespace
}  // namespace gwsync::fileio
