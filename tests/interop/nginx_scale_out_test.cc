// Scaling beyond one process (README, "Every core, then more machines"): two `evnode serve`
// processes behind nginx as a reverse proxy with keep-alive to its upstreams. Downloads and
// uploads (`--writable`) go through nginx byte for byte, and both backends answer.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/testing.h"

namespace {

namespace et = evnode::testing;

struct Backend {
  et::Process proc;
  int port = -1;
};

Backend startServe(const std::string& dir) {
  Backend b{et::Process({et::evnodeBinary(), "serve", dir, "--port", "0", "--threads", "2",
                         "--writable", "-q"}),
            -1};
  b.port = et::parsePortFromListeningLine(b.proc.waitForLine("listening on http://", 30));
  return b;
}

TEST(InteropNginx, TwoServeProcessesBehindNginxDownloadsAndUploadsByteExact) {
  EVNODE_WATCHDOG(120);
  const std::string nginx = et::findCommand("nginx");
  if (nginx.empty()) GTEST_SKIP() << "nginx is not installed (scripts/install-deps.sh test)";
  et::TempDir site, conf;
  const std::string big = et::randomBytes(6 << 20, 31);
  et::writeFile(site.file("big.bin"), big);
  et::writeFile(site.file("index.html"), "<h1>scaled</h1>\n");
  Backend a = startServe(site.path());
  Backend b = startServe(site.path());
  ASSERT_GT(a.port, 0);
  ASSERT_GT(b.port, 0);

  const int port = et::freePort();
  ASSERT_GT(port, 0);
  const std::string& d = conf.path();
  std::ofstream(conf.file("nginx.conf"))
      << "daemon off; master_process off; worker_processes 1; pid " << conf.file("nginx.pid")
      << ";\nerror_log " << conf.file("error.log") << ";\nevents { worker_connections 256; }\n"
      << "http { access_log off; client_body_temp_path " << d << "; proxy_temp_path " << d
      << "; fastcgi_temp_path " << d << "; uwsgi_temp_path " << d << "; scgi_temp_path " << d
      << ";\n"
      << "  upstream evnode { server 127.0.0.1:" << a.port << "; server 127.0.0.1:" << b.port
      << "; keepalive 16; }\n"
      << "  server { listen 127.0.0.1:" << port << ";\n"
      << "    location / { proxy_pass http://evnode; proxy_http_version 1.1;\n"
      << "      proxy_set_header Connection \"\"; proxy_request_buffering off;\n"
      << "      client_max_body_size 0; add_header X-Upstream $upstream_addr always; }\n"
      << "  }\n}\n";
  et::Process proxy({nginx, "-c", conf.file("nginx.conf"), "-p", d, "-e", conf.file("error.log")});
  ASSERT_TRUE(et::waitForTcpPort(port, 10)) << proxy.stderrSoFar();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);

  // Downloads, several at once: byte-exact, and answered by both backends (round robin).
  std::set<std::string> upstreams;
  std::atomic<int> exact{0};
  std::vector<std::string> heads(8);
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      et::TempDir out;
      auto r = et::runProcess({"curl", "-sS", "--fail", "-D", out.file("head"), "-o",
                               out.file("body"), url + "/big.bin"},
                              "", 60);
      if (r.status == 0 && et::readFile(out.file("body")) == big) ++exact;
      if (r.status == 0) heads[i] = et::readFile(out.file("head"));
    });
  }
  for (auto& t : clients) t.join();
  clients.clear();
  EXPECT_EQ(exact.load(), 8);
  for (const auto& h : heads) {
    auto at = h.find("X-Upstream: ");
    if (at != std::string::npos) upstreams.insert(h.substr(at + 12, h.find('\r', at) - at - 12));
  }
  EXPECT_EQ(upstreams.size(), 2u) << "both evnode processes answer through nginx";

  // Uploads stream through nginx (no request buffering) into the shared directory.
  std::atomic<int> stored{0};
  for (int i = 0; i < 6; ++i) {
    clients.emplace_back([&, i] {
      et::TempDir out;
      std::string body = et::randomBytes(1500000 + i * 777, 40 + i);
      et::writeFile(out.file("up"), body);
      std::string name = "upload" + std::to_string(i) + ".bin";
      auto r =
          et::runProcess({"curl", "-sS", "--fail", "-T", out.file("up"), url + "/" + name}, "", 60);
      if (r.status == 0 && et::readFile(site.file(name)) == body) ++stored;
      // And back down through the proxy.
      auto g = et::runProcess({"curl", "-sS", "--fail", "-o", out.file("down"), url + "/" + name},
                              "", 60);
      if (g.status == 0 && et::readFile(out.file("down")) == body) ++stored;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(stored.load(), 12);

  auto small = et::runProcess({"curl", "-sS", "--fail", url + "/"});
  EXPECT_EQ(small.out, "<h1>scaled</h1>\n");

  for (Backend* be : {&a, &b}) {
    be->proc.kill(SIGTERM);
    EXPECT_EQ(be->proc.wait(10), 0) << be->proc.stderrSoFar();
  }
}

}  // namespace
