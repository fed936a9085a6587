// The CLI's top level: --version, and the one-line error with exit 2 for an unknown command or
// option (it used to abort with an uncaught exception).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

TEST(CliMain, VersionPrintsTheProjectVersion) {
  for (const char* flag : {"--version", "-V"}) {
    et::ProcResult r = et::runProcess({et::evnodeBinary(), flag});
    EXPECT_EQ(r.status, 0) << flag;
    EXPECT_TRUE(std::regex_match(r.out, std::regex("evnode [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST(CliMain, UnknownCommandOrOptionIsOneLineAndExit2) {
  for (const char* arg : {"frobnicate", "--frob", "-Z"}) {
    et::ProcResult r = et::runProcess({et::evnodeBinary(), arg});
    EXPECT_EQ(r.status, 2) << arg << ": " << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(
        std::regex_match(r.err, std::regex("evnode: [^\n]*'" + std::string(arg) + "'[^\n]*\n")))
        << r.err;
  }
}

TEST(CliMain, NoArgumentsPrintsUsageAndExit2) {
  et::ProcResult r = et::runProcess({et::evnodeBinary()});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("usage: evnode"), std::string::npos);
}

}  // namespace
