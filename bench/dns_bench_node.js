// The same load as dns_bench.cc on Node.js's dns.Resolver (c-ares inside Node):
//   node bench/dns_bench_node.js SERVER[:PORT] [NAME=bench.test] [QUERIES=200000] [INFLIGHT=100]
'use strict';
const { Resolver } = require('dns');
const [server, name = 'bench.test', totalArg = '200000', inflightArg = '100'] = process.argv.slice(2);
const total = Number(totalArg);
const inflight = Number(inflightArg);
const resolver = new Resolver({ timeout: 2000, tries: 1 });
resolver.setServers([server]);
let issued = 0, done = 0, errors = 0;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
function next() {
  issued++;
  resolver.resolve4(name, (err, addresses) => {
    done++;
    if (err || addresses.length === 0) errors++;
    if (issued < total) next();
    else if (done === total) finish();
  });
}
function finish() {
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(`queries=${done} seconds=${secs.toFixed(3)} qps=${(done / secs).toFixed(1)} ` +
              `errors=${errors} cpu_s=${cpu.toFixed(3)} qps_per_cpu_s=${(done / cpu).toFixed(1)}`);
  process.exitCode = errors === 0 ? 0 : 1;
}
for (let i = 0; i < inflight && issued < total; i++) next();
