#include "gwsync/printable.h"

#include <gtest/gtest.h>

namespace gwsync {
namespace {

TEST(IsUtf8, TellsValidFromInvalid) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("plain/key\n"));
  EXPECT_TRUE(IsUtf8("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsUtf8("\xe9t\xe9"));         // Latin-1
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsUtf8("\xe2\x82"));          // cut short
}

TEST(Printable, OrdinaryKeysPrintAsTheyAre) {
  EXPECT_EQ(Printable("docker/registry/v2/blobs/sha256/ab/data"),
            "docker/registry/v2/blobs/sha256/ab/data");
  EXPECT_EQ(Printable("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 a\\b"),
            "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 a\\b");
}

TEST(Printable, EscapeSequencesCannotReachTheTerminal) {
  EXPECT_EQ(Printable("a\x1b]0;pwned\x07-title"), "a\\x1b]0;pwned\\x07-title");
  EXPECT_EQ(Printable("\x1b[2J\rhidden\nline\tx\x7f"), "\\x1b[2J\\rhidden\\nline\\tx\\x7f");
  EXPECT_EQ(Printable(std::string_view("nul\0x", 5)), "nul\\x00x");
}

TEST(Printable, C1ControlsAndBrokenUtf8AreEscaped) {
  EXPECT_EQ(Printable("\xc2\x9b"
                      "31m"),
            "\\xc2\\x9b31m");                               // U+009B, an 8-bit CSI
  EXPECT_EQ(Printable("\x9b"), "\\x9b");                    // a lone C1 byte
  EXPECT_EQ(Printable("\xc3"), "\\xc3");                    // cut short
  EXPECT_EQ(Printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(Printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

}  // namespace
}  // namespace gwsync
