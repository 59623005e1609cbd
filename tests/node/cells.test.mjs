// Cells run real interpreters; every transition is an event; nothing blocks the event loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil } from './helpers.mjs';
import { Cell } from '@runsynapse/sdk';

const kinds = async (cell) => (await cell.getLifecycleEvents()).map((e) => e.event);

for (const [template, code] of [
  ['python3', "import os; print(os.environ['GREETING'])"],
  ['node', 'console.log(process.env.GREETING)'],
  ['bash', 'echo $GREETING'],
]) {
  test(`the ${template} template runs real code`, async () => {
    const cell = await Cell.create({ template, envs: { GREETING: 'hello' } });
    const out = await cell.run(code);
    assert.deepEqual([out.stdout, out.stderr, out.exitCode, out.timedOut], ['hello\n', '', 0, false]);
    assert.match(out.executionId, /^exec_/);
    assert.equal(cell.template, template);
    await cell.kill();
  });
}

test('a run past its timeout completes as timed out', async () => {
  const cell = await Cell.create({ template: 'bash' });
  const out = await cell.run('sleep 30', 300);
  assert.equal(out.timedOut, true);
  assert.equal(out.exitCode, 124);
  assert.equal((await cell.getLifecycleEvents()).at(-1).detail.timed_out, true);
  await cell.kill();
});

test('pause and resume keep the files; wrong-state calls reject with INVALID_STATE', async () => {
  const cell = await Cell.create({ template: 'bash' });
  await cell.run('echo v1 > state.txt');
  const snap = await cell.pause();
  assert.match(snap.snapshotId, /^snap_/);
  assert.equal(cell.state, 'paused');
  await assert.rejects(cell.run('true'), { code: 'INVALID_STATE' });
  await assert.rejects(cell.pause(), { code: 'INVALID_STATE' });
  assert.equal((await cell.resume()).snapshotId, snap.snapshotId);
  await assert.rejects(cell.resume(), { code: 'INVALID_STATE' });
  assert.equal((await cell.run('cat state.txt')).stdout, 'v1\n');
  await cell.kill();
  await cell.kill();
  await assert.rejects(cell.run('true'), /killed/);
  assert.deepEqual(await kinds(cell), ['cell.created', 'exec.completed', 'cell.paused', 'cell.resumed', 'exec.completed', 'cell.killed']);
});

test('an idle cell is killed at its timeout', async () => {
  const cell = await Cell.create({ timeoutMs: 200 });
  await waitUntil(() => cell.state === 'killed', 'the idle timeout');
  assert.equal((await cell.getLifecycleEvents()).at(-1).detail.reason, 'timeout');
});

test('bad options reject with INVALID_ARGUMENT', async () => {
  for (const [options, field] of [
    [{ template: 'cobol' }, 'template'],
    [{ timeoutMs: -1 }, 'timeout_ms'],
    [{ metadata: 'x' }, 'metadata'],
  ]) {
    await assert.rejects(Cell.create(options), { code: 'INVALID_ARGUMENT', field });
  }
});

test('the event loop keeps turning while a cell runs', async () => {
  const cell = await Cell.create({ template: 'bash' });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await cell.run('sleep 0.5');
  clearInterval(timer);
  assert.ok(ticks >= 10, `only ${ticks} ticks during a 500 ms run`);
  await cell.kill();
});

test('many concurrent calls', async () => {
  const cells = await Promise.all(Array.from({ length: 12 }, () => Cell.create({ template: 'bash' })));
  const outs = await Promise.all(cells.map((c, i) => c.run(`echo ${i}`)));
  assert.deepEqual(outs.map((o) => o.stdout), cells.map((_, i) => `${i}\n`));
  await Promise.all([...cells.map((c) => c.kill()), Cell.listWebhooks(), Cell.getGlobalEvents(10)]);
  assert.ok(cells.every((c) => c.state === 'killed'));
});
