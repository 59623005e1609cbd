"""What recording an event costs a Python app, through the binding: `.venv/bin/python bench/record_event.py`.

Webhooks point at a real receiver on 127.0.0.1 (answering 204). Prints the per-call cost of
Cell.record_event, with no webhook and with one matching webhook, then how long delivery took.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from synapse import Cell

N = 20_000


class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def measure(label: str) -> None:
    detail = {"execution_id": "exec_0", "exit_code": 0, "latency_ms": 0.24, "timed_out": False}
    start, cpu = time.perf_counter(), time.thread_time()
    for _ in range(N):
        Cell.record_event("exec.completed", "bench-cell", detail)
    wall = (time.perf_counter() - start) / N * 1e6
    cpu_us = (time.thread_time() - cpu) / N * 1e6
    left = Cell.flush_webhooks(120)
    total = time.perf_counter() - start
    print(f"{label:<36} {cpu_us:6.2f} µs caller CPU {wall:6.2f} µs wall | all delivered in {total:5.2f} s, {left} left")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    measure("Cell.record_event, no webhooks")
    Cell.register_webhook(f"http://127.0.0.1:{server.server_address[1]}/hook", ["exec.completed"])
    measure("Cell.record_event, 1 matching webhook")
    server.shutdown()


if __name__ == "__main__":
    main()
