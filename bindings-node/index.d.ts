// Types of @runsynapse/sdk: everything is generated from the Rust definitions into native.d.ts.
export { Cell, CellOptions, DeliveryAttempt, Execution, LifecycleEvent, Snapshot, Webhook, WebhookStats } from './native'
