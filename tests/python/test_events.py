"""Polling events: one cell's, and the newest across all cells."""

from __future__ import annotations

import pytest

from synapse import Cell, InvalidArgumentError


def test_global_events_are_the_newest_limit_oldest_first():
    ids = [Cell.record_event("exec.completed", "poll-cell", {"n": i}) for i in range(150)]
    events = Cell.get_global_events()
    assert len(events) == 100
    assert [e["event_id"] for e in events] == ids[-100:]
    assert [e["event_id"] for e in Cell.get_global_events(limit=5)] == ids[-5:]
    assert Cell.get_global_events(0) == []
    record = events[-1]
    assert list(record) == ["event_id", "event", "cell_id", "detail", "timestamp"]
    assert record["detail"] == {"n": 149}


def test_record_event_returns_an_event_id_and_validates():
    assert Cell.record_event("cell.created", "external-cell").startswith("evt_")
    for args, field in [
        (("cell.exploded", "c"), "event"),
        (("*", "c"), "event"),
        (("cell.created", ""), "cell_id"),
        (("cell.created", "c", [1, 2]), "detail"),
    ]:
        with pytest.raises(InvalidArgumentError) as err:
            Cell.record_event(*args)
        assert err.value.field == field


def test_bad_limits_are_rejected():
    for limit in (-1, 10**9):
        with pytest.raises(InvalidArgumentError) as err:
            Cell.get_global_events(limit)
        assert err.value.field == "limit"


def test_lifecycle_events_hold_only_that_cell():
    a, b = Cell(template="bash"), Cell(template="bash")
    a.run("true")
    assert [e["event"] for e in a.get_lifecycle_events()] == ["cell.created", "exec.completed"]
    assert [e["event"] for e in b.get_lifecycle_events()] == ["cell.created"]
    assert all(e["cell_id"] == a.cell_id for e in a.get_lifecycle_events())
    a.kill()
    b.kill()
