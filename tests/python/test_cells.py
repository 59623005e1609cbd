"""Cells run real interpreters; every transition is an event."""

from __future__ import annotations

import threading
import time

import pytest

from conftest import wait_until
from synapse import Cell, Execution, InvalidArgumentError, Snapshot, StateError


def kinds(cell: Cell) -> list:
    return [e["event"] for e in cell.get_lifecycle_events()]


@pytest.mark.parametrize(
    "template, code",
    [
        ("python3", "import os; print(os.environ['GREETING'])"),
        ("node", "console.log(process.env.GREETING)"),
        ("bash", "echo $GREETING"),
    ],
)
def test_each_template_runs_real_code(template, code):
    with Cell(template=template, envs={"GREETING": "hello"}) as cell:
        out = cell.run(code)
        assert isinstance(out, Execution)
        assert (out.stdout, out.stderr, out.exit_code, out.timed_out) == ("hello\n", "", 0, False)
        assert out.execution_id.startswith("exec_") and out.latency_ms > 0
        assert cell.template == template


def test_create_and_the_constructor_are_the_same():
    cell = Cell.create(template="bash", timeout_ms=60_000, metadata={"job": 7})
    assert cell.state == "running"
    assert cell.get_lifecycle_events()[0]["detail"] == {"template": "bash", "metadata": {"job": 7}}
    cell.kill()
    assert cell.state == "killed"


def test_failures_report_exit_code_and_stderr():
    with Cell() as cell:
        out = cell.run("import sys; sys.stderr.write('boom'); sys.exit(3)")
    assert (out.exit_code, out.stderr) == (3, "boom")
    assert "exit_code=3" in repr(out)


def test_a_run_past_its_timeout_completes_as_timed_out():
    with Cell(template="bash") as cell:
        out = cell.run("sleep 30", timeout_ms=300)
        assert out.timed_out and out.exit_code == 124
        assert cell.get_lifecycle_events()[-1]["detail"]["timed_out"] is True


def test_pause_and_resume_keep_the_files():
    with Cell() as cell:
        cell.run("open('state.txt', 'w').write('v1')")
        snap = cell.pause()
        assert isinstance(snap, Snapshot) and snap.snapshot_id.startswith("snap_")
        assert cell.state == "paused"
        assert cell.resume().snapshot_id == snap.snapshot_id
        assert cell.run("print(open('state.txt').read())").stdout == "v1\n"
    assert kinds(cell) == [
        "cell.created", "exec.completed", "cell.paused", "cell.resumed", "exec.completed", "cell.killed"
    ]


def test_wrong_state_calls_raise_state_error():
    cell = Cell()
    with pytest.raises(StateError, match=r"resume\(\)"):
        cell.resume()
    cell.pause()
    with pytest.raises(StateError) as err:
        cell.run("print(1)")
    assert err.value.code == "invalid_state"
    cell.kill()
    with pytest.raises(StateError, match="killed"):
        cell.run("print(1)")
    cell.kill()  # a second kill does nothing
    assert kinds(cell) == ["cell.created", "cell.paused", "cell.killed"]


def test_an_idle_cell_is_killed_at_its_timeout():
    cell = Cell(timeout_ms=200)
    wait_until(lambda: cell.state == "killed", "the idle timeout")
    assert cell.get_lifecycle_events()[-1]["detail"]["reason"] == "timeout"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"template": "cobol"}, "template"),
        ({"timeout_ms": -5}, "timeout_ms"),
        ({"metadata": "not a dict"}, "metadata"),
        ({"metadata": {"x": object()}}, "metadata"),
        ({"envs": {"A=B": "c"}}, "envs"),
    ],
)
def test_bad_options_raise_invalid_argument(kwargs, field):
    with pytest.raises(InvalidArgumentError) as err:
        Cell(**kwargs)
    assert err.value.field == field


def test_the_gil_is_released_while_a_cell_runs():
    ticks = []
    stop = threading.Event()

    def tick() -> None:
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    with Cell(template="bash") as cell:
        t = threading.Thread(target=tick)
        t.start()
        cell.run("sleep 0.5")
        stop.set()
        t.join()
    assert len(ticks) >= 10, "another Python thread should keep running during run()"


def test_threads_can_use_the_sdk_at_once(receiver):
    Cell.register_webhook(receiver.url(), ["exec.completed"])
    errors = []

    def work(i: int) -> None:
        try:
            with Cell(template="bash") as cell:
                assert cell.run(f"echo {i}").stdout == f"{i}\n"
                Cell.list_webhooks()
                Cell.get_global_events(10)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    receiver.wait_for(8)
