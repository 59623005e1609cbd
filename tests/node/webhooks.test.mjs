// Registering, listing, deleting webhooks, and what their receivers get.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { startReceiver, deleteAllWebhooks, fixtures } from './helpers.mjs';
import { Cell } from '@runsynapse/sdk';

beforeEach(() => deleteAllWebhooks(Cell));

test('register resolves to the record with its secret; list omits it, in creation order', async () => {
  const a = await Cell.registerWebhook('https://example.com/a', ['exec.completed', 'cell.created', 'exec.completed']);
  assert.deepEqual(a.events, ['exec.completed', 'cell.created']);
  assert.match(a.secret, /^whsec_/);
  const b = await Cell.registerWebhook('https://example.com/b');
  assert.deepEqual(b.events, ['*']);
  const listed = await Cell.listWebhooks();
  assert.deepEqual(listed.map((w) => w.webhook_id), [a.webhook_id, b.webhook_id]);
  assert.ok(listed.every((w) => w.secret === undefined));
  assert.equal(typeof listed[0].created_at, 'number');
});

test('invalid input rejects with INVALID_ARGUMENT naming the field, and changes nothing', async () => {
  await Cell.registerWebhook('https://example.com/keep', ['*']);
  const cases = [
    [['not a url', ['*']], 'url'],
    [['ftp://example.com/', ['*']], 'url'],
    [['https://example.com/' + 'a'.repeat(2048), ['*']], 'url'],
    [['https://example.com/', []], 'events'],
    [['https://example.com/', ['cell.created', 'cell.exploded']], 'events[1]'],
    [['https://example.com/', ['*'], 'hunter2'], 'secret'],
  ];
  for (const [args, field] of cases) {
    await assert.rejects(Cell.registerWebhook(...args), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.equal(e.field, field);
      return true;
    });
  }
  await assert.rejects(Cell.registerWebhook('https://example.com/', ['nope']), /cell\.created, cell\.killed, cell\.paused, cell\.resumed, exec\.completed, \*/);
  assert.equal((await Cell.listWebhooks()).length, 1);
});

test('deleting an unknown webhook rejects with NOT_FOUND', async () => {
  await assert.rejects(Cell.deleteWebhook('wh_nope'), { code: 'NOT_FOUND', message: 'webhook not found: wh_nope' });
});

test('a wildcard hook gets all five events, signed so that standardwebhooks verifies them', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  const wh = await Cell.registerWebhook(rx.url(), ['*']);
  const cell = await Cell.create({ metadata: { team: 'billing' } });
  await cell.run('print(1)');
  const snap = await cell.pause();
  await cell.resume();
  await cell.kill();
  const hits = await rx.waitFor(5);
  assert.deepEqual(rx.events().sort(), ['cell.created', 'cell.killed', 'cell.paused', 'cell.resumed', 'exec.completed']);
  const verifier = new Webhook(wh.secret);
  for (const hit of hits) {
    assert.deepEqual(verifier.verify(hit.body, hit.headers), hit.json);
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.match(hit.headers['user-agent'], /^synapse-webhooks\//);
  }
  const detail = Object.fromEntries(hits.map((h) => [h.json.event, h.json.detail]));
  assert.deepEqual(detail['cell.created'], { template: 'python3', metadata: { team: 'billing' } });
  assert.deepEqual(detail['cell.paused'], { snapshot_id: snap.snapshotId });
  assert.equal(detail['cell.killed'].reason, 'requested');
  const ids = new Set((await cell.getLifecycleEvents()).map((e) => e.event_id));
  assert.ok(hits.every((h) => ids.has(h.headers['webhook-id'])));
});

test('a given secret signs the deliveries', async (t) => {
  const rx = await startReceiver();
  t.after(rx.close);
  const { secret } = fixtures.vectors[0];
  await Cell.registerWebhook(rx.url(), ['cell.created'], secret);
  Cell.recordEvent('cell.created', 'my-cell', { template: 'custom', metadata: {} });
  const [hit] = await rx.waitFor(1);
  new Webhook(secret).verify(hit.body, hit.headers);
});

test('hooks get only their events, and nothing after delete', async (t) => {
  const [created, everything] = [await startReceiver(), await startReceiver()];
  t.after(created.close);
  t.after(everything.close);
  const hook = await Cell.registerWebhook(created.url(), ['cell.created']);
  await Cell.registerWebhook(everything.url(), ['*']);
  const cell = await Cell.create({ template: 'bash' });
  await cell.run('true');
  await everything.waitFor(2);
  assert.equal(await Cell.flushWebhooks(5000), 0);
  assert.deepEqual(created.events(), ['cell.created']);
  await Cell.deleteWebhook(hook.webhook_id);
  await cell.kill();
  await everything.waitFor(3);
  assert.equal(await Cell.flushWebhooks(5000), 0);
  assert.equal(created.hits.length, 1);
});

test('the known-answer signature vectors agree with standardwebhooks', () => {
  for (const v of fixtures.vectors) {
    const sig = new Webhook(v.secret).sign(v.msg_id, new Date(v.timestamp * 1000), v.payload);
    assert.equal(sig, v.signature);
  }
});
