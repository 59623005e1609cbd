// The package as users get it: `npm pack`, installed into a separate project, loaded with require
// and import, and its `synapse-gateway` bin serving the REST API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { waitUntil } from './helpers.mjs';

const root = new URL('../..', import.meta.url).pathname;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test('npm pack installs and loads in a separate project, and its gateway bin serves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synapse-pack-'));
  const [tarball] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, tarball.filename)], { cwd: dir, stdio: 'pipe' });

  assert.match(execFileSync('npx', ['--no-install', 'synapse-gateway', '--help'], { cwd: dir, encoding: 'utf8' }), /^usage: synapse gateway/);
  const cjs = execFileSync(process.execPath, ['-e', "const { Cell } = require('@runsynapse/sdk'); console.log(typeof Cell.registerWebhook)"], { cwd: dir, encoding: 'utf8' });
  assert.equal(cjs.trim(), 'function');
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import { Cell } from '@runsynapse/sdk'; console.log((await Cell.listWebhooks()).length)"], { cwd: dir, encoding: 'utf8' });
  assert.equal(esm.trim(), '0');

  const port = await freePort();
  // The bin npx runs; started directly so that SIGTERM reaches it rather than npx.
  const bin = join(dir, 'node_modules', '.bin', 'synapse-gateway');
  const gateway = spawn(bin, ['--port', String(port)], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise((resolve) => gateway.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${base}/healthz`).catch(() => null))?.ok, 'the gateway to start', 20_000);
  const created = await fetch(`${base}/v1/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: 'https://example.com/hooks/synapse', events: ['*'] }),
  });
  assert.equal(created.status, 201);
  assert.match((await created.json()).webhook_id, /^wh_/);
  gateway.kill('SIGTERM');
  assert.equal(await exited, 0);
});
