// https against real peers: curl (--cacert) and a Node.js https client against our server (run
// on a loop thread of its own), and our client against `openssl s_server -www` and nginx with
// TLS (skipped when nginx is not installed).
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>
#include <vector>

#include "evnode/https.h"
#include "evnode/loop.h"
#include "tls/tls_support.h"

namespace {

using namespace evnode;
using http::IncomingMessage;
using http::IncomingMessagePtr;
using tls::TLSSocket;
using tlstest::certs;
using tlstest::LoopThread;
namespace et = evnode::testing;

// Our https server on its own thread, answering "METHOD URL BODY". The counters are read by
// the test thread after stop().
struct ThreadSite {
  std::shared_ptr<https::Server> server;
  std::unique_ptr<LoopThread> thread;
  int connections = 0;
  int requests = 0;
  std::vector<bool> resumed;

  ThreadSite() {
    thread = std::make_unique<LoopThread>(
        [this] {
          https::ServerOptions o;
          o.key = certs().pem("leaf.key");
          o.cert = certs().pem("leaf.pem");
          server = https::createServer(
              o, [this](const http::RequestPtr& req, const http::ResponsePtr& res) {
                ++requests;
                auto body = std::make_shared<std::string>();
                http::ServerResponse* r = res.get();
                req->on(IncomingMessage::Events::data,
                        [body](const Buffer& b) { body->append(b.view()); });
                req->on(IncomingMessage::Events::end, [r, req = req.get(), body] {
                  r->setHeader("Content-Type", "text/plain");
                  r->end(req->method + " " + req->url + " " + *body);
                });
              });
          server->on(https::Server::Events::secureConnection,
                     [this](const std::shared_ptr<TLSSocket>& s) {
                       ++connections;
                       resumed.push_back(s->isSessionReused());
                     });
          return tlstest::listenLocal(server);
        },
        [this] {
          server->close();
          server->closeAllConnections();
          server.reset();
        });
  }
  int port() const { return thread->port; }
  std::string url(const std::string& path) const {
    return "https://localhost:" + std::to_string(port()) + path;
  }
  void stop() { thread->stop(); }
};

TEST(HttpsPeers, CurlGetPostAndKeepAlive) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  if (!et::haveCommand("curl")) GTEST_SKIP() << "curl is not installed";
  ThreadSite site;
  // Two GETs in one curl run share one connection (the second reports 0 new connects).
  et::ProcResult r = et::runProcess(
      {"curl", "-sS", "--cacert", certs().path("ca.pem"), "-w",
       "|%{http_code} %{num_connects} %{http_version}\n", site.url("/a"), site.url("/b?q=1")},
      "", 30);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "GET /a |200 1 1.1\nGET /b?q=1 |200 0 1.1\n");
  r = et::runProcess(
      {"curl", "-sS", "--cacert", certs().path("ca.pem"), "--data-binary", "@-", site.url("/post")},
      "a body\nwith two lines", 30);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "POST /post a body\nwith two lines");
  // Without our CA, curl refuses the server.
  r = et::runProcess({"curl", "-sS", site.url("/refused")}, "", 30);
  EXPECT_NE(r.status, 0);
  site.stop();
  EXPECT_EQ(site.connections, 2);  // the refused client never completes a handshake
  EXPECT_EQ(site.requests, 3);
}

TEST(HttpsPeers, NodeHttpsClientAgainstOurServer) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  if (!et::haveCommand("node")) GTEST_SKIP() << "node is not installed";
  ThreadSite site;
  et::TempDir dir;
  const std::string script = R"JS(
const https = require('https');
const fs = require('fs');
const [port, caFile] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
const base = { host: 'localhost', port: +port, ca: fs.readFileSync(caFile), agent, ALPNProtocols: ['http/1.1'] };
function send(opts, body) {
  return new Promise((resolve, reject) => {
    const req = https.request({ ...base, ...opts }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (data += d));
      const alpn = res.socket.alpnProtocol;
      res.on('end', () => resolve(`${res.statusCode} ${alpn} ${req.reusedSocket} ${data}`));
    });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  console.log(await send({ path: '/node' }));
  console.log(await send({ path: '/node-post', method: 'POST' }, 'from node'));
  agent.destroy();
})().catch((e) => { console.error(e.code || e.message); process.exit(1); });
)JS";
  et::writeFile(dir.file("client.js"), script);
  et::ProcResult r = et::runProcess(
      {"node", dir.file("client.js"), std::to_string(site.port()), certs().path("ca.pem")}, "", 40);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "200 http/1.1 false GET /node \n200 http/1.1 true POST /node-post from node\n");
  site.stop();
  EXPECT_EQ(site.connections, 1);
}

void collect(const IncomingMessagePtr& res, std::function<void(const std::string&)> done) {
  auto body = std::make_shared<std::string>();
  res->on(IncomingMessage::Events::data, [body](const Buffer& b) { body->append(b.view()); });
  res->on(IncomingMessage::Events::end, [body, done] { done(*body); });
}

TEST(HttpsPeers, OurClientAgainstOpensslSServerWww) {
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::Process server({"openssl", "s_server", "-accept", "0", "-cert", certs().path("leaf.pem"),
                      "-key", certs().path("leaf.key"), "-www", "-naccept", "1"});
  std::string line = server.waitForLine("ACCEPT");
  int port = std::stoi(line.substr(line.rfind(':') + 1));
  ASSERT_GT(port, 0);
  https::RequestOptions o;
  o.hostname = "localhost";
  o.port = port;
  o.ca = {certs().pem("ca.pem")};
  o.agent = https::Agent::create();
  int status = 0;
  std::string version, body;
  Error err;
  auto req = https::get(o, [&](const IncomingMessagePtr& res) {
    status = res->statusCode;
    version = res->httpVersion;
    collect(res, [&](const std::string& b) { body = b; });
  });
  req->on(http::ClientRequest::Events::error, [&](const Error& e) { err = e; });
  run();
  EXPECT_EQ(err.code, "") << err.message;
  EXPECT_EQ(status, 200);
  EXPECT_EQ(version, "1.0");  // s_server answers HTTP/1.0 with a close-delimited body
  // The status page names the protocol and cipher it negotiated with us.
  EXPECT_NE(body.find("<HTML>"), std::string::npos) << body.substr(0, 300);
  EXPECT_NE(body.find("TLSv1.3"), std::string::npos) << body.substr(0, 2000);
  EXPECT_NE(body.find("</HTML>"), std::string::npos)
      << body.substr(body.size() > 300 ? body.size() - 300 : 0);
  server.wait(10);
}

std::string findNginx() {
  if (et::haveCommand("nginx")) return "nginx";
  if (std::ifstream("/usr/sbin/nginx").good()) return "/usr/sbin/nginx";
  return "";
}

// nginx with TLS: keep-alive reuse ($connection stays the same), then a new connection that
// resumes the session ($ssl_session_reused, and our socket says so too).
TEST(HttpsPeers, OurClientAgainstNginxWithTls) {
  std::string nginx = findNginx();
  if (nginx.empty()) GTEST_SKIP() << "nginx is not installed";
  EVNODE_WATCHDOG(60);
  TLS_NEED_CERTS();
  et::TempDir dir;
  int port = et::freePort();
  std::ofstream(dir.file("nginx.conf"))
      << "daemon off; master_process off; worker_processes 1; pid " << dir.file("nginx.pid")
      << ";\n"
      << "error_log " << dir.file("error.log") << ";\n"
      << "events { worker_connections 64; }\n"
      << "http { access_log off; client_body_temp_path " << dir.path() << "; proxy_temp_path "
      << dir.path() << "; fastcgi_temp_path " << dir.path() << "; uwsgi_temp_path " << dir.path()
      << "; scgi_temp_path " << dir.path() << ";\n"
      << "  server { listen 127.0.0.1:" << port << " ssl;\n"
      << "    ssl_protocols TLSv1.2 TLSv1.3; ssl_certificate " << certs().path("chain.pem")
      << "; ssl_certificate_key " << certs().path("leaf.key") << ";\n"
      << "    location / { add_header X-Conn $connection; add_header X-Reused "
         "$ssl_session_reused;\n"
      << "                 add_header X-Proto $ssl_protocol; return 200 'hello from nginx'; } } "
         "}\n";
  et::Process server(
      {nginx, "-c", dir.file("nginx.conf"), "-p", dir.path(), "-e", dir.file("error.log")});
  ASSERT_TRUE(et::waitForTcpPort(port)) << et::readFile(dir.file("error.log"));
  https::AgentOptions ao;
  ao.keepAlive = true;
  ao.ca = {certs().pem("ca.pem")};
  auto agent = https::Agent::create(ao);
  std::vector<std::string> conns, reused, protos, bodies;
  std::vector<bool> ourReused;
  std::function<void(int)> next = [&](int i) {
    if (i == 3) {
      agent->destroy();
      return;
    }
    if (i == 2) agent->destroy();  // the third request needs a new connection
    https::RequestOptions o;
    o.hostname = "localhost";
    o.port = port;
    o.agent = agent;
    auto req = https::get(o);
    http::ClientRequest* raw = req.get();
    req->on(http::ClientRequest::Events::response, [&, raw, i](const IncomingMessagePtr& res) {
      conns.push_back(res->headers.value("x-conn"));
      reused.push_back(res->headers.value("x-reused"));
      protos.push_back(res->headers.value("x-proto"));
      auto t = std::dynamic_pointer_cast<TLSSocket>(raw->socket());
      ourReused.push_back(t && t->isSessionReused());
      collect(res, [&, i](const std::string& b) {
        bodies.push_back(b);
        setTimeout([&, i] { next(i + 1); }, 0);
      });
    });
    req->on(http::ClientRequest::Events::error,
            [](const Error& e) { ADD_FAILURE() << e.code << " " << e.message; });
  };
  next(0);
  run();
  server.kill(SIGTERM);
  server.wait(10);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0], "hello from nginx");
  EXPECT_EQ(conns[0], conns[1]);  // keep-alive: one connection for the first two
  EXPECT_NE(conns[1], conns[2]);
  EXPECT_EQ(reused, (std::vector<std::string>{".", ".", "r"}));  // nginx: "r" when resumed
  EXPECT_EQ(ourReused, (std::vector<bool>{false, false, true}));
  EXPECT_EQ(protos[0], "TLSv1.3");
}

}  // namespace
