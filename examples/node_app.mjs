// The main job, from Node: a receiver on 127.0.0.1 verifies each delivery's signature with the
// standardwebhooks package and prints it; cells fire the events. Run it with `./run demo`.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';
import { Cell } from '@runsynapse/sdk';

const verifiers = {};
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    let ok = true;
    try { verifiers[req.url].verify(body, req.headers); } catch { ok = false; }
    const { event, cell_id: cellId, detail } = JSON.parse(body);
    console.log(`  <- ${req.url.padEnd(16)} ${event.padEnd(15)} cell ${cellId.slice(0, 8)}  ${JSON.stringify(detail)}  signature ${ok ? 'ok' : 'BAD'}`);
    res.writeHead(ok ? 204 : 401).end();
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
console.log(`receiver listening on ${base}`);

for (const [path, events] of [['/hooks/audit', ['*']], ['/hooks/billing', ['exec.completed']]]) {
  const webhook = await Cell.registerWebhook(base + path, events);
  verifiers[path] = new Webhook(webhook.secret);
  console.log(`registered ${webhook.webhook_id} -> ${path} for ${JSON.stringify(events)}`);
}

console.log('\nrunning cells:');
const cell = await Cell.create({ template: 'node', metadata: { job: 'report' } });
const out = await cell.run('console.log([1, 2, 3].reduce((a, b) => a + b))');
console.log(`  node cell printed ${out.stdout.trim()} in ${out.latencyMs.toFixed(1)} ms`);
const { snapshotId } = await cell.pause();
console.log(`  paused as ${snapshotId}`);
await cell.resume();
await cell.kill();

const left = await Cell.flushWebhooks(10_000);
const stats = await Cell.webhookStats();
console.log(`\n${stats.events_emitted} events, ${stats.succeeded} deliveries succeeded, ${stats.failed} failed, ${left} pending`);
server.close();
