// process: signal listeners (ref/unref/close), kill, pid, memoryUsage.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include "evnode/loop.h"
#include "evnode/process.h"
#include "support/testing.h"

using namespace evnode;

TEST(ProcessSignal, ListenerRunsOnTheLoop) {
  EVNODE_WATCHDOG(20);
  int calls = 0;
  process::SignalListenerPtr l, l2;
  // Both listeners hear the signal; the second to run removes both.
  auto onSig = [&] {
    if (++calls == 2) {
      l->close();
      l2->close();
    }
  };
  l = process::onSignal(SIGUSR1, onSig);
  EXPECT_EQ(l->signum(), SIGUSR1);
  EXPECT_FALSE(l->hasRef());
  l->ref();  // keeps the loop alive until it is closed
  EXPECT_TRUE(l->hasRef());
  l2 = process::onSignal(SIGUSR1, onSig);
  auto t = setTimeout([] { EXPECT_FALSE(process::kill(process::pid(), SIGUSR1)); }, 1);
  run();
  EXPECT_EQ(calls, 2);
  l->close();  // again: harmless
  EXPECT_FALSE(l->hasRef());
}

TEST(ProcessSignal, UnrefdByDefaultSoTheLoopDoesNotWait) {
  EVNODE_WATCHDOG(20);
  bool fired = false;
  auto l = process::onSignal(SIGUSR2, [&] { fired = true; });
  run();  // returns at once: nothing else is pending
  EXPECT_FALSE(fired);
  l->close();
}

TEST(ProcessSignal, ListenerMayCloseItselfAndStaysInstalledWithoutTheHandle) {
  EVNODE_WATCHDOG(20);
  int calls = 0;
  {
    auto box = std::make_shared<process::SignalListener*>(nullptr);
    auto l = process::onSignal(SIGUSR1, [&calls, box] {
      ++calls;
      (*box)->close();
    });
    *box = l.get();
    l->ref();
  }
  // Dropping our pointer did not remove it (like process.on); the handle ref keeps run() going.
  EXPECT_FALSE(process::kill(process::pid(), SIGUSR1));
  run();
  EXPECT_EQ(calls, 1);
}

TEST(ProcessSignal, UncatchableSignalThrows) {
  try {
    process::onSignal(SIGKILL, [] {});
    FAIL() << "no exception";
  } catch (const Exception& e) {
    EXPECT_EQ(e.code(), "ERR_UNKNOWN_SIGNAL");
  }
  EXPECT_THROW(process::onSignal(0, [] {}), Exception);
}

TEST(Process, PidKillAndMemory) {
  EXPECT_EQ(process::pid(), static_cast<int>(::getpid()));
  EXPECT_FALSE(process::kill(process::pid(), 0));
  Error err = process::kill(0x7ffffff0, 0);
  EXPECT_EQ(err.code, "ESRCH");
  EXPECT_EQ(err.syscall, "kill");
  EXPECT_GT(process::memoryUsage().rss, 1024u * 1024);
}
