'use strict';
// The Node side of the differential test (node_differential_test.cc): Node's http server, with
// its defaults, on 127.0.0.1 and a free port ("listening on 127.0.0.1:PORT" on stdout). For each
// connection it prints, one line each, what it parsed, keyed by the client's address and port
// (<peer>, "127.1.2.3:45678") and the request's number on the connection (<n>, from 1):
//
//   O <peer>                             connection accepted
//   R <peer> <n> <event> <description>   a request head ('request' or 'checkExpectation')
//   B <peer> <n> <hex>                   body bytes
//   E <peer> <n> T=<fields>              the body ended; its trailers
//   X <peer> <code>                      a clientError (e.g. HPE_INVALID_HEADER_TOKEN)
//   C <peer> <event> <description> head=<hex>   'connect' / 'upgrade': the socket is closed
//   Z <peer>                             connection closed
//
// <description> is M=<method> U=<url> V=<version> H=<name>:<value>,... with every string as the
// hex of its bytes (Node gives header and URL bytes as latin1 strings). The C++ test prints the
// same lines for evnode's server. Plain Node, no packages.
const http = require('http');

const hex = (s) => Buffer.from(s, 'latin1').toString('hex');
const fields = (raw) => {
  const out = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push(hex(raw[i]) + ':' + hex(raw[i + 1]));
  return out.join(',');
};
const describe = (req) =>
  `M=${hex(req.method)} U=${hex(req.url)} V=${req.httpVersion} H=${fields(req.rawHeaders)}`;
const log = (line) => process.stdout.write(line + '\n');  // a pipe: written synchronously
const peerOf = Symbol('peer');
const requestsOf = Symbol('requests');

// The Host check Node's server makes (requireHostHeader) is made here instead, so that it
// shows as a rejection in the log rather than as a 400 written behind the handler's back.
const server = http.createServer({ requireHostHeader: false });

server.on('connection', (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  socket[peerOf] = peer;
  socket[requestsOf] = 0;
  log(`O ${peer}`);
  socket.on('close', () => log(`Z ${peer}`));
});

function answer(event) {
  return (req, res) => {
    const peer = req.socket[peerOf];
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) {
      log(`X ${peer} MISSING_HOST`);
      req.socket.destroy();
      return;
    }
    const n = ++req.socket[requestsOf];
    log(`R ${peer} ${n} ${event} ${describe(req)}`);
    req.on('data', (b) => log(`B ${peer} ${n} ${b.toString('hex')}`));
    req.on('end', () => {
      log(`E ${peer} ${n} T=${fields(req.rawTrailers)}`);
      res.setHeader('Content-Length', 0);
      res.end();
    });
  };
}
server.on('request', answer('request'));
server.on('checkExpectation', answer('checkExpectation'));

function takeOver(event) {
  return (req, socket, head) => {
    log(`C ${socket[peerOf]} ${event} ${describe(req)} head=${head.toString('hex')}`);
    socket.destroy();
  };
}
server.on('connect', takeOver('connect'));
server.on('upgrade', takeOver('upgrade'));

server.on('clientError', (err, socket) => {
  if (!socket[peerOf]) return;
  // Once per connection: a parser that failed fails again on the next bytes.
  if (!socket.reportedError) log(`X ${socket[peerOf]} ${err.code}`);
  socket.reportedError = true;
  if (socket.writable) socket.write('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  socket.destroy();
});

server.listen(0, '127.0.0.1', () => log(`listening on 127.0.0.1:${server.address().port}`));
// The test ends by closing stdin.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
