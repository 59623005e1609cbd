// Delivery behaviour a receiver sees: retries, the attempt log, stats, the exit flush.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startReceiver, deleteAllWebhooks } from './helpers.mjs';
import { Cell } from '@runsynapse/sdk';

beforeEach(() => deleteAllWebhooks(Cell));

test('a flaky receiver gets retries with the same webhook-id, and the log says so', async (t) => {
  const rx = await startReceiver([[500], [503]]);
  t.after(rx.close);
  const wh = await Cell.registerWebhook(rx.url(), ['*']);
  const eventId = Cell.recordEvent('exec.completed', 'c', { exit_code: 0 });
  const hits = await rx.waitFor(3);
  assert.ok(hits.every((h) => h.headers['webhook-id'] === eventId));
  assert.equal(await Cell.flushWebhooks(), 0);
  const log = await Cell.getWebhookDeliveries(wh.webhook_id);
  assert.deepEqual(log.map((a) => [a.attempt, a.status_code, a.outcome]), [[1, 500, 'retrying'], [2, 503, 'retrying'], [3, 200, 'succeeded']]);
});

test('stats count what happened', async (t) => {
  const before = await Cell.webhookStats();
  const rx = await startReceiver([[400]]);
  t.after(rx.close);
  await Cell.registerWebhook(rx.url(), ['*']);
  Cell.recordEvent('cell.created', 'c');
  Cell.recordEvent('cell.created', 'c');
  assert.equal(await Cell.flushWebhooks(), 0);
  const after = await Cell.webhookStats();
  assert.equal(after.failed - before.failed, 1);
  assert.equal(after.succeeded - before.succeeded, 1);
  assert.equal(after.pending, 0);
});

test('recordEvent and getGlobalEvents validate their input', async () => {
  assert.throws(() => Cell.recordEvent('cell.exploded', 'c'), { code: 'INVALID_ARGUMENT', field: 'event' });
  assert.throws(() => Cell.recordEvent('cell.created', 'c', [1]), { code: 'INVALID_ARGUMENT', field: 'detail' });
  await assert.rejects(Cell.getGlobalEvents(-1), { code: 'INVALID_ARGUMENT', field: 'limit' });
  await assert.rejects(Cell.flushWebhooks(-1), { code: 'INVALID_ARGUMENT', field: 'timeoutMs' });
  await assert.rejects(Cell.getWebhookDeliveries('wh_nope'), { code: 'NOT_FOUND' });
  const ids = Array.from({ length: 120 }, (_, i) => Cell.recordEvent('exec.completed', 'poll', { n: i }));
  const events = await Cell.getGlobalEvents();
  assert.deepEqual(events.map((e) => e.event_id), ids.slice(-100));
  assert.deepEqual(Object.keys(events[0]), ['event_id', 'event', 'cell_id', 'detail', 'timestamp']);
});

function runChild(code, env = {}) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('a process that exits right after firing events still delivers them', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  const child = runChild(`
    import { Cell } from '@runsynapse/sdk';
    await Cell.registerWebhook(${JSON.stringify(rx.url())}, ['*']);
    const cell = await Cell.create({ template: 'bash' });
    await cell.run('echo hi');
  `);
  assert.equal(child.status, 0, child.stderr);
  const hits = await rx.waitFor(3);
  assert.deepEqual(rx.events().sort(), ['cell.created', 'cell.killed', 'exec.completed']);
  assert.equal(hits.find((h) => h.json.event === 'cell.killed').json.detail.reason, 'shutdown');
});

test('the exit flush can be turned off', async (t) => {
  // Every attempt fails and the next is an hour away; the environment asks for a ten-minute exit
  // flush: only turning it off by API lets the child exit before spawnSync's timeout.
  const rx = await startReceiver(Array(10).fill([503]));
  t.after(rx.close);
  const child = runChild(`
    import { Cell } from '@runsynapse/sdk';
    Cell.setExitFlushTimeout(null);
    await Cell.registerWebhook(${JSON.stringify(rx.url())}, ['*']);
    Cell.recordEvent('cell.created', 'c');
  `, { SYNAPSE_RETRY_SCHEDULE_MS: '3600000', SYNAPSE_EXIT_FLUSH_TIMEOUT_MS: '600000' });
  assert.equal(child.status, 0, child.stderr);
});
