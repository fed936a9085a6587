// Interop peer: Node's `ws` echo server for evnode's client. Echoes each message with its type,
// pings every new connection ("sp") and reports the pong, and reports each close.
// usage: node node_server.js DEFLATE(0|1)
'use strict';
const { WebSocketServer } = require('ws');
const deflate = process.argv[2] === '1';
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate,
                                  maxPayload: 300 * 1024 * 1024 });
wss.on('listening', () => console.log('listening ' + wss.address().port));
wss.on('connection', (ws) => {
  console.log('extensions ' + JSON.stringify(ws.extensions ? Object.keys(ws.extensions) : []));
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'please-close') return ws.close(4003, 'by server');
    ws.send(data, { binary: isBinary });
  });
  ws.on('pong', (d) => console.log('pong ' + d.toString()));
  ws.on('close', (code, reason) => console.log('closed ' + code + ' ' + reason.toString()));
  ws.ping('sp');
});
