// Type-checked (tsc --noEmit) against the shipped index.d.ts, so the types cannot drift from the API.
import { Cell, type Webhook, type LifecycleEvent, type Execution, type WebhookStats } from '@runsynapse/sdk';

export async function example(): Promise<void> {
  const webhook: Webhook = await Cell.registerWebhook('https://your-server.com/hooks/synapse', ['cell.created', 'exec.completed']);
  console.log(webhook.webhook_id, webhook.secret?.startsWith('whsec_'));
  const webhooks = await Cell.listWebhooks();
  webhooks.forEach((wh) => console.log(`${wh.webhook_id}: ${wh.url}`));
  const cell: Cell = await Cell.create({ template: 'python3', timeoutMs: 60_000, metadata: { job: 1 }, envs: { A: 'b' } });
  const out: Execution = await cell.run('print(1)', 5_000);
  const code: number = out.exitCode;
  const { snapshotId } = await cell.pause();
  await cell.resume();
  const events: LifecycleEvent[] = await cell.getLifecycleEvents();
  const global: LifecycleEvent[] = await Cell.getGlobalEvents(100);
  const stats: WebhookStats = await Cell.webhookStats();
  const eventId: string = Cell.recordEvent('exec.completed', cell.cellId, { exit_code: code });
  const remaining: number = await Cell.flushWebhooks(5_000);
  Cell.setExitFlushTimeout(null);
  await cell.kill();
  await Cell.deleteWebhook(webhook.webhook_id);
  console.log(snapshotId, events.length, global.length, stats.pending, eventId, remaining);
}
