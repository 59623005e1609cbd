"""Every Python example of the product page (seed/lifecycle-webhooks.txt), as written there, with a
local receiver in place of your-server.com."""

from __future__ import annotations

import re

from synapse import Cell


def test_register_a_webhook(receiver, capsys):
    webhook = Cell.register_webhook(
        url=receiver.url("/hooks/synapse"),
        events=["cell.created", "exec.completed"],
    )
    print(webhook["webhook_id"])  # "wh_a1b2c3..."
    assert re.fullmatch(r"wh_[0-9a-f]{24}\n", capsys.readouterr().out)


def test_the_payload_is_what_the_page_shows(receiver):
    Cell.register_webhook(url=receiver.url(), events=["cell.created", "exec.completed"])
    with Cell() as cell:
        cell.run("print('hello')")
    hits = receiver.wait_for(2)
    completed = next(h.json for h in hits if h.json["event"] == "exec.completed")
    assert list(completed) == ["event", "cell_id", "detail", "timestamp"]
    assert completed["cell_id"] == cell.cell_id
    assert list(completed["detail"])[:3] == ["execution_id", "exit_code", "latency_ms"]
    assert completed["detail"]["execution_id"].startswith("exec_")
    assert completed["detail"]["exit_code"] == 0
    assert isinstance(completed["detail"]["latency_ms"], float)
    assert isinstance(completed["timestamp"], int)


def test_list_webhooks(receiver, capsys):
    Cell.register_webhook(url=receiver.url(), events=["*"])
    webhooks = Cell.list_webhooks()
    for wh in webhooks:
        print(f"{wh['webhook_id']}: {wh['url']} -> {wh['events']}")
    line = r"wh_[0-9a-f]{24}: http://127\.0\.0\.1:\d+/hooks/synapse -> \['\*'\]\n"
    assert re.fullmatch(line, capsys.readouterr().out)


def test_delete_a_webhook(receiver):
    webhook_id = Cell.register_webhook(url=receiver.url(), events=["*"])["webhook_id"]
    Cell.delete_webhook(webhook_id)
    assert Cell.list_webhooks() == []


def test_query_lifecycle_events():
    cell = Cell()
    cell.run("x = 1")
    # Per-cell events
    events = cell.get_lifecycle_events()
    assert [e["event"] for e in events] == ["cell.created", "exec.completed"]
    # Global events (last 100)
    events = Cell.get_global_events()
    assert len(events) <= 100
    assert events[-1]["event_id"] == cell.get_lifecycle_events()[-1]["event_id"]
    cell.kill()
