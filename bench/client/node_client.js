// node_client.js URL [CONCURRENCY=64] [SECONDS=5] -- the Node.js keep-alive-agent client loop
// that `evnode bench` is compared with (bench/client/run.sh): an http.Agent with keepAlive and
// CONCURRENCY sockets, CONCURRENCY requests always in flight (each completed response starts the
// next GET), responses counted for SECONDS after the first second of warm-up. Prints
// "requests_per_sec N cpu_s C" on stdout (C: this process's user+sys CPU seconds in the counted
// window) and the error count on stderr.
'use strict';
const http = require('http');

const url = new URL(process.argv[2] || 'http://127.0.0.1:18087/');
const concurrency = Number(process.argv[3] || 64);
const seconds = Number(process.argv[4] || 5);
const warmupMs = 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
const opts = { host: url.hostname, port: url.port || 80, path: url.pathname + url.search, agent };

let counting = false;
let running = true;
let responses = 0;
let errors = 0;

function one() {
  if (!running) return;
  const req = http.get(opts, (res) => {
    res.on('end', () => {
      if (counting) responses++;
      one();
    });
    res.resume();
  });
  req.on('error', () => {
    errors++;
    setTimeout(one, 10);  // a refusing server must not turn this into a busy loop
  });
}

for (let i = 0; i < concurrency; i++) one();
setTimeout(() => {
  counting = true;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  setTimeout(() => {
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    running = false;
    counting = false;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(`requests_per_sec ${(responses / dt).toFixed(2)} cpu_s ${cpuS.toFixed(3)}`);
    console.error(`node ${process.version}: ${responses} responses in ${dt.toFixed(3)} s, ${errors} errors`);
    agent.destroy();
    process.exit(0);
  }, seconds * 1000);
}, warmupMs);
