"""Shared fixtures: a real HTTP receiver on 127.0.0.1 and engine settings for fast retries."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

import pytest

# The engine reads its settings once, when first used: set them before synapse is imported.
os.environ.setdefault("SYNAPSE_RETRY_SCHEDULE_MS", "20,40")
os.environ.setdefault("SYNAPSE_ATTEMPT_TIMEOUT_MS", "2000")
os.environ.setdefault("SYNAPSE_HOME", tempfile.mkdtemp(prefix="synapse-pytest-"))

from synapse import Cell  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class Hit:
    """One request the receiver got."""

    def __init__(self, path: str, headers: dict, body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body
        self.json = json.loads(body) if body else None
        self.at = time.monotonic()


class Receiver:
    """A threaded HTTP server on 127.0.0.1, port 0, recording every POST.

    ``script`` holds statuses (with an optional Retry-After) answered in order before 200.
    """

    def __init__(self, script: Optional[List[Tuple[int, Optional[str]]]] = None, port: int = 0) -> None:
        self.hits: List[Hit] = []
        self.script = list(script or [])
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.cond:
                    receiver.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status, retry_after = receiver.script.pop(0) if receiver.script else (200, None)
                    receiver.cond.notify_all()
                self.send_response(status)
                if retry_after:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hooks/synapse") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, n: int, timeout: float = 10.0) -> List[Hit]:
        """Waits until ``n`` requests arrived (failing after ``timeout``) and returns them all."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.hits) >= n, timeout):
                raise AssertionError(f"waited {timeout}s for {n} deliveries, got {len(self.hits)}")
            return list(self.hits)

    def events(self) -> List[str]:
        with self.cond:
            return [h.json["event"] for h in self.hits]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.close()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    made: List[Receiver] = []

    def make(script: Optional[List[Tuple[int, Optional[str]]]] = None, port: int = 0) -> Receiver:
        made.append(Receiver(script, port))
        return made[-1]

    yield make
    for rx in made:
        rx.close()


@pytest.fixture(autouse=True)
def clean_webhooks() -> Iterator[None]:
    """Every test starts and ends with no webhooks, since the engine is one per process."""
    for wh in Cell.list_webhooks():
        Cell.delete_webhook(wh["webhook_id"])
    yield
    for wh in Cell.list_webhooks():
        Cell.delete_webhook(wh["webhook_id"])


def wait_until(cond: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Polls ``cond`` until it holds, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)
