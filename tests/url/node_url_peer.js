// The Node side of tests/url/node_differential_test.cc: `node node_url_peer.js CORPUS ANSWERS`
// reads the corpus (JSON lines) and writes to ANSWERS one JSON line per corpus line, in order:
//   {"input", "base"?}                    -> every component of new URL(input, base), or
//                                            {"failure": true}
//   {"input", "base"?, "setter", "value"} -> the same after url[setter] = value
//                                            ({"threw": true} if the setter throws)
//   {"params"}                            -> new URLSearchParams(params): its pairs, toString(),
//                                            and toString() after sort()
'use strict';
const fs = require('fs');

const parts = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port',
               'pathname', 'search', 'hash'];

function components(u) {
  const out = {};
  for (const p of parts) out[p] = u[p];
  return out;
}

function answer(c) {
  if (c.params !== undefined) {
    const p = new URLSearchParams(c.params);
    const list = [];
    for (const [k, v] of p) list.push(k, v);
    const str = p.toString();
    p.sort();
    return {list, str, sorted: p.toString()};
  }
  let u;
  try {
    u = c.base === undefined ? new URL(c.input) : new URL(c.input, c.base);
  } catch (e) {
    return {failure: true};
  }
  if (c.setter !== undefined) {
    try {
      u[c.setter] = c.value;
    } catch (e) {
      return {threw: true};
    }
  }
  return components(u);
}

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
const out = [];
for (const line of lines) {
  if (line === '') continue;
  out.push(JSON.stringify(answer(JSON.parse(line))));
}
fs.writeFileSync(process.argv[3], out.join('\n') + '\n');
