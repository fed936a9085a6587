// Interop peer: Node's `ws` client against an evnode echo server. Sends every kind of message,
// checks each echo byte for byte, pings, asks the server to close (server-initiated close), then
// on a second connection closes itself. Prints one line per check; exits 0 when all passed.
// usage: node node_client.js URL DEFLATE(0|1)
'use strict';
const WebSocket = require('ws');
const crypto = require('crypto');
const [url, deflate] = process.argv.slice(2);
const opts = { perMessageDeflate: deflate === '1', maxPayload: 64 * 1024 * 1024 };

function big(n, seed) {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}
function fail(msg) { console.log('FAIL ' + msg); process.exit(1); }

const cases = [
  ['text', 'hello', false],
  ['binary', Buffer.from([0, 1, 2, 255]), true],
  ['empty text', '', false],
  ['empty binary', Buffer.alloc(0), true],
  ['unicode', 'κόσμε ✓ 😀', false],
  ['compressible 64k', Buffer.alloc(65536, 'a').toString(), false],
  ['16MiB', big(16 * 1024 * 1024, 7), true],
];

function first() {
  const ws = new WebSocket(url, opts);
  ws.on('error', (e) => fail('error ' + e.message));
  ws.on('open', () => {
    console.log('extensions ' + JSON.stringify(ws.extensions));
    let i = 0;
    const next = () => {
      if (i === cases.length) return fragmented();
      const [name, data, binary] = cases[i];
      ws.once('message', (got, isBinary) => {
        const want = Buffer.isBuffer(data) ? data : Buffer.from(data);
        if (isBinary !== binary) fail(name + ' type');
        if (!Buffer.from(got).equals(want)) fail(name + ' bytes');
        console.log('ok ' + name);
        i++;
        next();
      });
      ws.send(data, { binary });
    };
    const fragmented = () => {
      ws.once('message', (got, isBinary) => {
        if (isBinary || got.toString() !== 'frag-men-ted') fail('fragmented ' + got);
        console.log('ok fragmented');
        ping();
      });
      ws.send('frag-', { fin: false });
      ws.send('men-', { fin: false });
      ws.send('ted', { fin: true });
    };
    const ping = () => {
      ws.once('pong', (d) => {
        if (d.toString() !== 'p1') fail('pong ' + d);
        console.log('ok pong');
        ws.send('please-close');
      });
      ws.ping('p1');
    };
    next();
  });
  ws.on('close', (code, reason) => {
    console.log('closed-by-server ' + code + ' ' + reason.toString());
    if (code !== 4003) fail('server close code ' + code);
    second();
  });
}

function second() {
  const ws = new WebSocket(url, opts);
  ws.on('error', (e) => fail('error ' + e.message));
  ws.on('open', () => ws.close(4000, 'done'));
  ws.on('close', (code, reason) => {
    console.log('closed ' + code + ' ' + reason.toString());
    if (code !== 4000 || reason.toString() !== 'done') fail('close echo');
    console.log('ALL OK');
    process.exit(0);
  });
}
first();
