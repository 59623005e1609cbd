"""Delivery guarantees against a fault-injecting receiver: 410, late start, hangs, rotation,
redelivery. Every accepted event is delivered or visibly failed."""

from __future__ import annotations

import socket
import time

from standardwebhooks.webhooks import Webhook

from synapse import Cell, NotFoundError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_429_with_retry_after_is_honoured(make_receiver):
    rx = make_receiver([(429, "1")])
    Cell.register_webhook(rx.url(), ["*"])
    Cell.record_event("cell.created", "c")
    hits = rx.wait_for(2)
    assert hits[1].at - hits[0].at >= 0.95
    assert hits[0].headers["webhook-id"] == hits[1].headers["webhook-id"]


def test_gone_disables_and_enable_then_replay_catches_up(make_receiver):
    rx = make_receiver([(410, None)])
    wh = Cell.register_webhook(rx.url(), ["*"])
    Cell.record_event("cell.created", "first")
    assert Cell.flush_webhooks() == 0
    assert Cell.list_webhooks()[0]["status"] == "disabled"
    assert Cell.webhook_stats()["disabled_endpoints"] == 1
    Cell.record_event("cell.created", "second")
    assert Cell.flush_webhooks() == 0
    assert len(rx.hits) == 1
    log = Cell.get_webhook_deliveries(wh["webhook_id"])
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [(1, 410, "failed"), (0, None, "failed")]
    assert Cell.enable_webhook(wh["webhook_id"])["status"] == "enabled"
    assert Cell.replay_failed_deliveries(wh["webhook_id"]) == 2
    hits = rx.wait_for(3)
    # Replayed deliveries run concurrently, like any others: compare without order.
    assert sorted(h.json["cell_id"] for h in hits[1:]) == ["first", "second"]


def test_a_receiver_that_starts_late_gets_the_event(make_receiver):
    port = free_port()
    wh = Cell.register_webhook(f"http://127.0.0.1:{port}/late", ["*"])
    event_id = Cell.record_event("cell.created", "c")
    # The suite's schedule gives up after three quick attempts: every one is refused and logged.
    assert Cell.flush_webhooks() == 0
    log = Cell.get_webhook_deliveries(wh["webhook_id"])
    assert [a["outcome"] for a in log] == ["retrying", "retrying", "failed"]
    assert all("connection" in a["error"] for a in log)
    late = make_receiver(port=port)
    assert Cell.replay_failed_deliveries(wh["webhook_id"]) == 1
    assert late.wait_for(1)[0].headers["webhook-id"] == event_id


def test_a_rotated_secret_signs_beside_the_old_one(receiver):
    wh = Cell.register_webhook(receiver.url(), ["*"])
    rotated = Cell.rotate_webhook_secret(wh["webhook_id"])
    assert rotated["secret"] != wh["secret"]
    assert rotated["previous_secret_expires_at"] > time.time() * 1000
    Cell.record_event("cell.created", "c")
    hit = receiver.wait_for(1)[0]
    assert len(hit.headers["webhook-signature"].split(" ")) == 2
    # Receivers holding either secret accept the delivery.
    Webhook(wh["secret"]).verify(hit.body, hit.headers)
    Webhook(rotated["secret"]).verify(hit.body, hit.headers)


def test_redeliver_sends_the_same_event_again(receiver):
    wh = Cell.register_webhook(receiver.url(), ["*"])
    event_id = Cell.record_event("exec.completed", "c", {"exit_code": 0})
    receiver.wait_for(1)
    Cell.redeliver(wh["webhook_id"], event_id)
    hits = receiver.wait_for(2)
    assert hits[1].headers["webhook-id"] == event_id and hits[1].body == hits[0].body
    try:
        Cell.redeliver(wh["webhook_id"], "evt_nope")
    except NotFoundError as e:
        assert "evt_nope" in str(e)
    else:
        raise AssertionError("expected NotFoundError")
