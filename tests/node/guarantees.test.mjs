// Delivery guarantees from Node: 410 disables, enable + replay catch up, rotation, redelivery.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { startReceiver, deleteAllWebhooks } from './helpers.mjs';
import { Cell } from '@runsynapse/sdk';

beforeEach(() => deleteAllWebhooks(Cell));

test('410 disables the webhook; enabling and replaying delivers what was missed', async (t) => {
  const rx = await startReceiver([[410]]);
  t.after(rx.close);
  const wh = await Cell.registerWebhook(rx.url(), ['*']);
  Cell.recordEvent('cell.created', 'first');
  assert.equal(await Cell.flushWebhooks(), 0);
  assert.equal((await Cell.listWebhooks())[0].status, 'disabled');
  assert.equal((await Cell.webhookStats()).disabled_endpoints, 1);
  Cell.recordEvent('cell.created', 'second');
  assert.equal(await Cell.flushWebhooks(), 0);
  assert.equal(rx.hits.length, 1);
  assert.equal((await Cell.enableWebhook(wh.webhook_id)).status, 'enabled');
  assert.equal(await Cell.replayFailedDeliveries(wh.webhook_id), 2);
  const hits = await rx.waitFor(3);
  // Replayed deliveries run concurrently, like any others: compare without order.
  assert.deepEqual(hits.slice(1).map((h) => h.json.cell_id).sort(), ['first', 'second']);
});

test('a rotated secret signs beside the old one', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  const wh = await Cell.registerWebhook(rx.url(), ['*']);
  const rotated = await Cell.rotateWebhookSecret(wh.webhook_id);
  assert.notEqual(rotated.secret, wh.secret);
  assert.ok(rotated.previous_secret_expires_at > Date.now());
  Cell.recordEvent('cell.created', 'c');
  const [hit] = await rx.waitFor(1);
  assert.equal(hit.headers['webhook-signature'].split(' ').length, 2);
  new Webhook(wh.secret).verify(hit.body, hit.headers);
  new Webhook(rotated.secret).verify(hit.body, hit.headers);
});

test('redeliver sends the same event again; disable parks deliveries', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  const wh = await Cell.registerWebhook(rx.url(), ['*']);
  const eventId = Cell.recordEvent('exec.completed', 'c', { exit_code: 0 });
  await rx.waitFor(1);
  await Cell.redeliver(wh.webhook_id, eventId);
  const hits = await rx.waitFor(2);
  assert.equal(hits[1].headers['webhook-id'], eventId);
  await assert.rejects(Cell.redeliver(wh.webhook_id, 'evt_nope'), { code: 'NOT_FOUND' });
  assert.equal((await Cell.disableWebhook(wh.webhook_id)).status, 'disabled');
  await Cell.redeliver(wh.webhook_id, eventId);
  assert.equal(await Cell.flushWebhooks(100), 1, 'a redelivery to a disabled webhook waits');
  await Cell.enableWebhook(wh.webhook_id);
  await rx.waitFor(3);
  assert.equal(await Cell.flushWebhooks(), 0);
});
