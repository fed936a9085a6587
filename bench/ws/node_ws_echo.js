// The Node.js peer of bench/ws/run.sh: npm `ws` (Debian's node-ws) echoing each message with its
// type, as `evnode ws echo` does (permessage-deflate off: the clients do not offer it).
// usage: NODE_PATH=/usr/share/nodejs node node_ws_echo.js PORT
'use strict';
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: +process.argv[2] });
wss.on('listening', () => console.log('listening on ws://127.0.0.1:' + process.argv[2]));
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
