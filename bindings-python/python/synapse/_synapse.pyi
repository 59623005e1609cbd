"""Type stubs for the native module. Checked against the compiled module by mypy.stubtest."""

from typing import Any, Dict, List, Mapping, Optional, Sequence, final

__all__ = ["Cell", "Execution", "Snapshot", "_shutdown", "gateway_main", "__version__"]

__version__: str

def _shutdown() -> int:
    """Kills live cells and waits for pending deliveries (up to the exit flush timeout)."""

def gateway_main(args: List[str]) -> int:
    """Runs ``synapse gateway ARGS...`` until SIGINT or SIGTERM; returns the exit code."""

@final
class Execution:
    """What ``Cell.run()`` produced."""

    @property
    def execution_id(self) -> str: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def exit_code(self) -> int:
        """The exit code; 128 + signal if killed by one; 124 if the run timed out."""
    @property
    def latency_ms(self) -> float: ...
    @property
    def timed_out(self) -> bool: ...

@final
class Snapshot:
    """The snapshot ``Cell.pause()`` made."""

    @property
    def snapshot_id(self) -> str: ...

@final
class Cell:
    """A sandbox that runs code with a real interpreter and emits lifecycle events."""

    def __new__(
        cls,
        template: Optional[str] = None,
        timeout_ms: Optional[float] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        envs: Optional[Mapping[str, str]] = None,
    ) -> Cell:
        """Creates a cell (``template``: python3, node or bash). Emits ``cell.created``."""
    @classmethod
    def create(
        cls,
        template: Optional[str] = None,
        timeout_ms: Optional[float] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        envs: Optional[Mapping[str, str]] = None,
    ) -> Cell:
        """Creates a cell; the same as ``Cell(...)``."""
    @property
    def cell_id(self) -> str: ...
    @property
    def template(self) -> str: ...
    @property
    def state(self) -> str:
        """``running``, ``paused`` or ``killed``."""
    def run(self, code: str, timeout_ms: Optional[float] = None) -> Execution:
        """Runs ``code`` and waits for it, releasing the GIL. Emits ``exec.completed``."""
    def pause(self) -> Snapshot:
        """Snapshots the working directory. Emits ``cell.paused``."""
    def resume(self) -> Snapshot:
        """Restores the snapshot. Emits ``cell.resumed``."""
    def kill(self) -> None:
        """Destroys the cell. Emits ``cell.killed``; a second call does nothing."""
    def get_lifecycle_events(self) -> List[Dict[str, Any]]:
        """This cell's events, oldest first."""
    def __enter__(self) -> Cell: ...
    def __exit__(self, *_exc: object) -> bool: ...
    @staticmethod
    def register_webhook(
        url: str, events: Optional[Sequence[str]] = None, secret: Optional[str] = None
    ) -> Dict[str, Any]:
        """Registers a webhook; returns ``webhook_id``, ``url``, ``events``, ``created_at`` and ``secret``."""
    @staticmethod
    def list_webhooks() -> List[Dict[str, Any]]:
        """Every webhook, in creation order, without secrets."""
    @staticmethod
    def delete_webhook(webhook_id: str) -> None:
        """Deletes a webhook; raises ``NotFoundError`` for an unknown id."""
    @staticmethod
    def get_global_events(limit: int = 100) -> List[Dict[str, Any]]:
        """The newest ``limit`` events across all cells, oldest first."""
    @staticmethod
    def get_webhook_deliveries(webhook_id: str, limit: int = 100) -> List[Dict[str, Any]]:
        """The newest ``limit`` delivery attempts to a webhook, oldest first."""
    @staticmethod
    def redeliver(webhook_id: str, event_id: str) -> None:
        """Sends one event to one webhook again, as a new delivery with the same ``webhook-id``."""
    @staticmethod
    def replay_failed_deliveries(webhook_id: str, since_ms: int = 0) -> int:
        """Sends again every event whose delivery last failed at or after ``since_ms``; returns how many."""
    @staticmethod
    def rotate_webhook_secret(webhook_id: str, secret: Optional[str] = None) -> Dict[str, Any]:
        """Gives a webhook a new secret; the old one keeps signing beside it for the overlap."""
    @staticmethod
    def enable_webhook(webhook_id: str) -> Dict[str, Any]:
        """Re-enables a disabled webhook; its parked deliveries resume."""
    @staticmethod
    def disable_webhook(webhook_id: str) -> Dict[str, Any]:
        """Disables a webhook: pending deliveries wait, new events are logged as not attempted."""
    @staticmethod
    def webhook_stats() -> Dict[str, int]:
        """Counters: events_emitted, deliveries_queued, succeeded, failed, retried, dropped, pending,
        disabled_endpoints."""
    @staticmethod
    def flush_webhooks(timeout_s: float = 5.0) -> int:
        """Waits for pending deliveries; returns how many remain."""
    @staticmethod
    def set_exit_flush_timeout(timeout_s: Optional[float]) -> None:
        """How long the interpreter waits for deliveries at exit; ``None`` or 0 does not wait."""
    @staticmethod
    def record_event(event: str, cell_id: str, detail: Optional[Mapping[str, Any]] = None) -> str:
        """Records an event from a cell backend the app runs itself; returns its ``event_id``."""
