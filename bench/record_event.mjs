// What recording an event costs a Node app, through the binding: `node bench/record_event.mjs`.
// Webhooks point at a real receiver on 127.0.0.1 (answering 204).
import http from 'node:http';
import { Cell } from '@runsynapse/sdk';

const N = 20_000;
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(204).end()); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

async function measure(label) {
  const detail = { execution_id: 'exec_0', exit_code: 0, latency_ms: 0.24, timed_out: false };
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) Cell.recordEvent('exec.completed', 'bench-cell', detail);
  const wall = Number(process.hrtime.bigint() - start) / N / 1000;
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / N;
  const left = await Cell.flushWebhooks(120_000);
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(36)} ${cpuUs.toFixed(2).padStart(6)} µs process CPU ${wall.toFixed(2).padStart(6)} µs wall | all delivered in ${total.toFixed(2)} s, ${left} left`);
}

await measure('Cell.recordEvent, no webhooks');
await Cell.registerWebhook(`http://127.0.0.1:${server.address().port}/hook`, ['exec.completed']);
await measure('Cell.recordEvent, 1 matching webhook');
server.close();
