// Every TypeScript example of the product page, as written there, with a local receiver in place
// of your-server.com.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver, deleteAllWebhooks } from './helpers.mjs';
import { Cell } from '@runsynapse/sdk';

beforeEach(() => deleteAllWebhooks(Cell));

test('register a webhook', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  const logged = [];
  t.mock.method(console, 'log', (...args) => logged.push(args.join(' ')));
  const webhook = await Cell.registerWebhook(
    rx.url('/hooks/synapse'),
    ["cell.created", "exec.completed"],
  );
  console.log(webhook.webhook_id);
  assert.match(logged[0], /^wh_[0-9a-f]{24}$/);
});

test('list webhooks', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  await Cell.registerWebhook(rx.url(), ['*']);
  const logged = [];
  t.mock.method(console, 'log', (...args) => logged.push(args.join(' ')));
  const webhooks = await Cell.listWebhooks();
  webhooks.forEach(wh => console.log(`${wh.webhook_id}: ${wh.url}`));
  assert.equal(logged.length, 1);
  assert.match(logged[0], /^wh_[0-9a-f]{24}: http:\/\/127\.0\.0\.1:\d+\/hooks\/synapse$/);
});

test('the payload is what the page shows', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  await Cell.registerWebhook(rx.url(), ['cell.created', 'exec.completed']);
  const cell = await Cell.create();
  await cell.run('x = 1');
  await cell.kill();
  const hits = await rx.waitFor(2);
  const completed = hits.map((h) => h.json).find((j) => j.event === 'exec.completed');
  assert.deepEqual(Object.keys(completed), ['event', 'cell_id', 'detail', 'timestamp']);
  assert.equal(completed.cell_id, cell.cellId);
  assert.match(completed.detail.execution_id, /^exec_/);
  assert.equal(completed.detail.exit_code, 0);
  assert.equal(typeof completed.detail.latency_ms, 'number');
  assert.ok(Number.isInteger(completed.timestamp));
});

test('query lifecycle events', async () => {
  const cell = await Cell.create({ template: 'bash' });
  await cell.run('true');
  const events = await cell.getLifecycleEvents();
  assert.deepEqual(events.map((e) => e.event), ['cell.created', 'exec.completed']);
  const global = await Cell.getGlobalEvents();
  assert.ok(global.length <= 100);
  assert.equal(global.at(-1).event_id, events.at(-1).event_id);
  await cell.kill();
});
