"""Delivery behaviour a receiver sees: retries, the attempt log, stats, the exit flush."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from synapse import Cell, InvalidArgumentError, NotFoundError


def test_a_flaky_receiver_gets_retries_with_the_same_webhook_id(make_receiver):
    rx = make_receiver([(500, None), (503, None)])
    wh = Cell.register_webhook(rx.url(), ["*"])
    event_id = Cell.record_event("exec.completed", "c", {"exit_code": 0})
    hits = rx.wait_for(3)
    assert {h.headers["webhook-id"] for h in hits} == {event_id}
    assert Cell.flush_webhooks() == 0
    log = Cell.get_webhook_deliveries(wh["webhook_id"])
    assert [(a["attempt"], a["status_code"], a["outcome"]) for a in log] == [
        (1, 500, "retrying"),
        (2, 503, "retrying"),
        (3, 200, "succeeded"),
    ]


def test_deliveries_of_an_unknown_webhook_are_not_found():
    with pytest.raises(NotFoundError):
        Cell.get_webhook_deliveries("wh_nope")


def test_stats_count_what_happened(make_receiver):
    before = Cell.webhook_stats()
    rx = make_receiver([(400, None)])
    Cell.register_webhook(rx.url(), ["*"])
    Cell.record_event("cell.created", "c")
    Cell.record_event("cell.created", "c")
    assert Cell.flush_webhooks() == 0
    after = Cell.webhook_stats()
    assert after["failed"] - before["failed"] == 1
    assert after["succeeded"] - before["succeeded"] == 1
    assert after["pending"] == 0


def test_flush_rejects_a_negative_timeout():
    with pytest.raises(InvalidArgumentError) as err:
        Cell.flush_webhooks(-1)
    assert err.value.field == "timeout_s"


def run_script(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_script_that_exits_at_once_still_delivers(receiver):
    done = run_script(
        f"""
        from synapse import Cell
        Cell.register_webhook("{receiver.url()}", ["*"])
        cell = Cell(template="bash")
        cell.run("echo hi")
        """
    )
    assert done.returncode == 0, done.stderr
    # created and exec.completed, then killed (reason shutdown) at exit.
    hits = receiver.wait_for(3)
    assert sorted(h.json["event"] for h in hits) == ["cell.created", "cell.killed", "exec.completed"]
    killed = next(h.json for h in hits if h.json["event"] == "cell.killed")
    assert killed["detail"]["reason"] == "shutdown"


def test_the_exit_flush_can_be_turned_off(make_receiver):
    # Every attempt fails and the next is an hour away, and the exit flush is set to ten minutes by
    # environment: only turning it off by API lets the script exit before run_script's timeout.
    rx = make_receiver([(503, None)] * 10)
    done = run_script(
        f"""
        from synapse import Cell
        Cell.set_exit_flush_timeout(None)
        Cell.register_webhook("{rx.url()}", ["*"])
        Cell.record_event("cell.created", "c")
        """,
        SYNAPSE_RETRY_SCHEDULE_MS="3600000",
        SYNAPSE_EXIT_FLUSH_TIMEOUT_MS="600000",
    )
    assert done.returncode == 0, done.stderr


def test_the_exit_flush_waits_for_retries(make_receiver):
    rx = make_receiver([(503, None)])
    done = run_script(
        f"""
        from synapse import Cell
        Cell.register_webhook("{rx.url()}", ["*"])
        Cell.record_event("cell.created", "c")
        """,
        SYNAPSE_RETRY_SCHEDULE_MS="200",
    )
    assert done.returncode == 0, done.stderr
    assert len(rx.wait_for(2)) == 2
