"""The main job: an SDK app whose cells fire webhooks at a local receiver.

It starts a receiver on 127.0.0.1 that verifies each delivery's Standard Webhooks signature, registers
two webhooks (everything, and billing's ``exec.completed`` only), runs a few cells, and prints each
delivery as it arrives. Run it with ``./run demo``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from synapse import Cell

SECRETS: dict = {}  # path -> secret, filled in as webhooks are registered
print_lock = threading.Lock()


def verify(secret: str, headers, body: bytes) -> bool:
    """What a receiver does: recompute the HMAC over ``id.timestamp.body`` and compare."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"]))
        ok = verify(SECRETS[self.path], self.headers, body)
        payload = json.loads(body)
        with print_lock:
            print(
                f"  <- {self.path:<16} {payload['event']:<15} cell {payload['cell_id'][:8]}  "
                f"{json.dumps(payload['detail'])}  signature {'ok' if ok else 'BAD'}"
            )
        self.send_response(204 if ok else 401)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"receiver listening on {base}")

    for path, events in [("/hooks/audit", ["*"]), ("/hooks/billing", ["exec.completed"])]:
        webhook = Cell.register_webhook(url=base + path, events=events)
        SECRETS[path] = webhook["secret"]
        print(f"registered {webhook['webhook_id']} -> {path} for {events}")

    print("\nrunning cells:")
    with Cell(template="python3", metadata={"job": "report"}) as cell:
        out = cell.run("print(sum(range(10)))")
        print(f"  python3 cell printed {out.stdout.strip()} in {out.latency_ms:.1f} ms")
        snapshot = cell.pause()
        print(f"  paused as {snapshot.snapshot_id}")
        cell.resume()
        cell.run("import sys; sys.exit(2)")
    with Cell(template="bash") as cell:
        out = cell.run("sleep 5", timeout_ms=200)
        print(f"  bash cell timed out: {out.timed_out}")
    with Cell(template="node") as cell:
        print(f"  node cell printed {cell.run('console.log(6 * 7)').stdout.strip()}")

    left = Cell.flush_webhooks(timeout_s=10)
    stats = Cell.webhook_stats()
    print(
        f"\n{stats['events_emitted']} events, {stats['succeeded']} deliveries succeeded, "
        f"{stats['failed']} failed, {left} pending"
    )
    print(f"newest events: {[e['event'] for e in Cell.get_global_events(limit=3)]}")
    server.shutdown()


if __name__ == "__main__":
    main()
