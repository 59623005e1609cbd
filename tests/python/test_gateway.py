"""The REST gateway as a real process (`synapse gateway`), driven over HTTP like any client would."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from standardwebhooks.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[2]
SYNAPSE = Path(sys.executable).parent / "synapse"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """A `synapse gateway` process on a free port."""

    def __init__(self, *args: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(SYNAPSE), "gateway", "--port", str(self.port), *args],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the gateway did not start: {self.proc.communicate()}")
            time.sleep(0.02)

    def call(
        self, method: str, path: str, body: Any = None, raw: Optional[bytes] = None, headers: Optional[dict] = None
    ) -> Tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
                status = resp.status
        except urllib.error.HTTPError as e:
            text, status = e.read().decode(), e.code
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text  # /metrics

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway()
    yield gw
    gw.stop()


def test_the_product_page_curl_command(gateway, receiver):
    out = subprocess.run(
        [
            "curl", "-s", "-X", "POST", f"http://localhost:{gateway.port}/v1/webhooks",
            "-H", "Content-Type: application/json",
            "-d", json.dumps({"url": receiver.url("/hooks/synapse"), "events": ["*"]}),
            "-w", "\n%{http_code}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout
    body, status = out.rsplit("\n", 1)
    assert status == "201"
    webhook = json.loads(body)
    assert re.fullmatch(r"wh_[0-9a-f]{24}", webhook["webhook_id"]) and webhook["secret"].startswith("whsec_")
    assert gateway.call("GET", "/v1/webhooks")[1] == [{k: v for k, v in webhook.items() if k != "secret"}]


def test_cells_over_http_fire_signed_webhooks(gateway, receiver):
    status, wh = gateway.call("POST", "/v1/webhooks", {"url": receiver.url(), "events": ["*"]})
    assert status == 201
    status, cell = gateway.call("POST", "/v1/cells", {"template": "bash", "metadata": {"via": "rest"}})
    assert status == 201 and cell["state"] == "running"
    cid = cell["cell_id"]
    status, out = gateway.call("POST", f"/v1/cells/{cid}/run", {"code": "echo hi"})
    assert status == 200 and out["stdout"] == "hi\n" and out["exit_code"] == 0
    assert gateway.call("POST", f"/v1/cells/{cid}/pause")[0] == 200
    status, err = gateway.call("POST", f"/v1/cells/{cid}/run", {"code": "true"})
    assert status == 409 and err["error"]["code"] == "invalid_state"
    assert gateway.call("POST", f"/v1/cells/{cid}/resume")[0] == 200
    assert gateway.call("GET", "/v1/cells")[1][0]["cell_id"] == cid
    assert gateway.call("DELETE", f"/v1/cells/{cid}")[0] == 204
    hits = receiver.wait_for(5)
    verifier = Webhook(wh["secret"])
    for hit in hits:
        verifier.verify(hit.body, hit.headers)
    status, events = gateway.call("GET", f"/v1/cells/{cid}/events")
    lifecycle = ["cell.created", "exec.completed", "cell.paused", "cell.resumed", "cell.killed"]
    assert [e["event"] for e in events] == lifecycle
    assert gateway.call("GET", "/v1/events?limit=2")[1] == events[-2:]
    status, attempts = gateway.call("GET", f"/v1/webhooks/{wh['webhook_id']}/deliveries")
    assert status == 200 and {a["outcome"] for a in attempts} == {"succeeded"}
    status, rec = gateway.call("POST", "/v1/events", {"event": "exec.completed", "cell_id": "ext", "detail": {"a": 1}})
    assert status == 201 and rec["event_id"].startswith("evt_")
    assert gateway.call("DELETE", f"/v1/webhooks/{wh['webhook_id']}")[0] == 204
    assert gateway.call("DELETE", f"/v1/webhooks/{wh['webhook_id']}")[0] == 404


@pytest.mark.parametrize(
    "method, path, body, status, code, field",
    [
        ("POST", "/v1/webhooks", b"{bad json", 400, "invalid_argument", "body"),
        ("POST", "/v1/webhooks", b'{"url": 5}', 400, "invalid_argument", "url"),
        ("POST", "/v1/webhooks", b'{"url": "https://e.com", "events": [1]}', 400, "invalid_argument", "events[0]"),
        ("POST", "/v1/webhooks", b'{"url": "https://e.com", "evnts": []}', 400, "invalid_argument", "evnts"),
        ("POST", "/v1/webhooks", b'{"events": ["*"]}', 400, "invalid_argument", "body"),
        ("POST", "/v1/webhooks", b'{"url": "https://e.com", "events": ["nope"]}', 400, "invalid_argument", "events[0]"),
        ("POST", "/v1/events", b'{"event": "cell.created", "cell_id": "c", "detail": 1}', 400, "invalid_argument",
         "detail"),
        ("GET", "/v1/events?limit=abc", None, 400, "invalid_argument", "limit"),
        ("GET", "/v1/events?limit=-1", None, 400, "invalid_argument", "limit"),
        ("GET", "/v1/events?color=red", None, 400, "invalid_argument", "color"),
        ("DELETE", "/v1/webhooks/wh_nope", None, 404, "not_found", None),
        ("GET", "/v1/webhooks/wh_nope/deliveries", None, 404, "not_found", None),
        ("POST", "/v1/cells/nope/run", b'{"code": "x"}', 404, "not_found", None),
        ("GET", "/v1/cells/nope/events", None, 404, "not_found", None),
        ("PUT", "/v1/webhooks", None, 405, "method_not_allowed", None),
        ("GET", "/v2/anything", None, 404, "route_not_found", None),
        ("POST", "/v1/events", b"[" + b"1," * 600_000 + b"1]", 413, "payload_too_large", None),
    ],
)
def test_bad_requests_get_typed_errors(gateway, method, path, body, status, code, field):
    got, err = gateway.call(method, path, raw=body)
    assert got == status, err
    assert err["error"]["code"] == code and err["error"]["message"]
    assert err["error"].get("field") == field
    assert gateway.call("GET", "/v1/webhooks")[1] == []


def test_an_api_key_guards_everything_but_healthz():
    gw = Gateway(SYNAPSE_API_KEY="s3cret")
    try:
        assert gw.call("GET", "/healthz")[0] == 200
        assert gw.call("GET", "/v1/webhooks")[0] == 401
        assert gw.call("GET", "/v1/webhooks", headers={"Authorization": "Bearer wrong"})[0] == 401
        status, err = gw.call("GET", "/metrics", headers={"Authorization": "s3cret"})
        assert status == 401 and err["error"]["code"] == "unauthorized"
        assert gw.call("GET", "/v1/webhooks", headers={"Authorization": "Bearer s3cret"}) == (200, [])
    finally:
        gw.stop()


def test_the_ssrf_guard_refuses_private_urls(receiver):
    gw = Gateway("--deny-private-urls")
    try:
        for url in [receiver.url(), "http://localhost:9/x", "http://10.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/"]:
            status, err = gw.call("POST", "/v1/webhooks", {"url": url})
            assert status == 400 and err["error"]["field"] == "url", (url, err)
            assert "private" in err["error"]["message"]
        assert gw.call("GET", "/v1/webhooks")[1] == []
    finally:
        gw.stop()


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, name
    return float(match.group(1))


def test_metrics_move_when_events_fire(gateway, receiver):
    before = gateway.call("GET", "/metrics")[1]
    gateway.call("POST", "/v1/webhooks", {"url": receiver.url()})
    for _ in range(3):
        gateway.call("POST", "/v1/events", {"event": "exec.completed", "cell_id": "m"})
    receiver.wait_for(3)
    deadline = time.monotonic() + 10
    while True:
        after = gateway.call("GET", "/metrics")[1]
        if metric(after, 'synapse_deliveries_total{outcome="succeeded"}') >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert metric(after, 'synapse_events_total{event="exec.completed"}') - metric(
        before, 'synapse_events_total{event="exec.completed"}'
    ) == 3
    assert metric(after, 'synapse_deliveries_total{outcome="succeeded"}') == 3
    assert metric(after, "synapse_delivery_attempt_seconds_count") == 3
    assert metric(after, "synapse_deliveries_pending") == 0


def documented() -> Dict[str, List[str]]:
    doc = json.loads((ROOT / "core/src/gateway/openapi.json").read_text())
    return {path: sorted(m.upper() for m in ops if m != "parameters") for path, ops in doc["paths"].items()}


def routed() -> Dict[str, List[str]]:
    source = (ROOT / "core/src/gateway/api.rs").read_text()
    routes: Dict[str, List[str]] = {}
    for path, handlers in re.findall(r'\.route\("([^"]+)",\s*(.+?)\)\n', source):
        routes[path] = sorted(m.upper() for m in re.findall(r"\b(get|post|delete|put|patch)\(", handlers))
    return routes


def test_the_openapi_document_matches_the_routes(gateway):
    assert gateway.call("GET", "/openapi.json")[1] == json.loads((ROOT / "core/src/gateway/openapi.json").read_text())
    assert documented() == routed()
    for path, methods in documented().items():
        concrete = path.replace("{id}", "unknown")
        for method in methods:
            status, body = gateway.call(method, concrete, raw=b"{}" if method == "POST" else None)
            assert status != 405, (method, path)
            if status == 404:
                assert body["error"]["code"] == "not_found", (method, path, body)


def test_graceful_shutdown_delivers_what_was_pending(make_receiver):
    rx = make_receiver([(503, None)])
    gw = Gateway(SYNAPSE_RETRY_SCHEDULE_MS="300")
    try:
        gw.call("POST", "/v1/webhooks", {"url": rx.url()})
        gw.call("POST", "/v1/events", {"event": "cell.created", "cell_id": "c"})
        rx.wait_for(1)
    finally:
        code = gw.stop()
    assert code == 0
    # The retry 300 ms later was made during the shutdown flush, before the process exited.
    assert len(rx.hits) == 2


def test_schemathesis_finds_no_server_errors(tmp_path):
    gw = Gateway(SYNAPSE_EXIT_FLUSH_TIMEOUT_MS="0")
    try:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"), "run", f"{gw.base}/openapi.json",
                "--checks", "not_a_server_error", "--max-examples", "15", "--request-timeout", "30",
                "--generation-deterministic", "--suppress-health-check", "all",
            ],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its cache stays out of the tree
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    finally:
        gw.stop()
