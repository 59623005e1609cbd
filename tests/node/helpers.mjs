// Shared test helpers: a real node:http receiver on 127.0.0.1 and condition waits with deadlines.
import http from 'node:http';
import { readFileSync } from 'node:fs';

// The engine reads its settings once, on first use: quick retries for the suites.
process.env.SYNAPSE_RETRY_SCHEDULE_MS ??= '20,40';
process.env.SYNAPSE_ATTEMPT_TIMEOUT_MS ??= '2000';

export const fixtures = JSON.parse(readFileSync(new URL('../fixtures/signatures.json', import.meta.url)));

/** Starts a receiver answering `script` statuses ([status, retryAfter?]) in order, then 200. */
export async function startReceiver(script = []) {
  const hits = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      hits.push({ path: req.url, headers: req.headers, body, json: JSON.parse(body) });
      const [status, retryAfter] = script.shift() ?? [200];
      res.writeHead(status, retryAfter ? { 'retry-after': retryAfter } : {});
      res.end();
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    hits,
    url: (path = '/hooks/synapse') => `http://127.0.0.1:${port}${path}`,
    events: () => hits.map((h) => h.json.event),
    /** Resolves with every hit once there are at least `n`; rejects after `ms`. */
    async waitFor(n, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (hits.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waited ${ms} ms for ${n} deliveries, got ${hits.length}`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => { clearTimeout(timer); resolve(); });
        });
      }
      return [...hits];
    },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** Polls `cond` until it holds, rejecting after `ms`. */
export async function waitUntil(cond, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Deletes every webhook: the engine is one per process, so each test starts clean. */
export async function deleteAllWebhooks(Cell) {
  for (const wh of await Cell.listWebhooks()) await Cell.deleteWebhook(wh.webhook_id);
}
