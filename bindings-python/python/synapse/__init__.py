"""Synapse: cells that run code, lifecycle events, and signed webhooks, in-process.

>>> from synapse import Cell
>>> webhook = Cell.register_webhook(url="https://example.com/hooks", events=["*"])
"""

from __future__ import annotations

import atexit

from synapse._synapse import Cell, Execution, Snapshot, __version__, _shutdown
from synapse.exceptions import InvalidArgumentError, NotFoundError, StateError, SynapseError

# Pending deliveries are flushed (and live cells killed) at interpreter exit, bounded by
# SYNAPSE_EXIT_FLUSH_TIMEOUT_MS or Cell.set_exit_flush_timeout().
atexit.register(_shutdown)

__all__ = [
    "Cell",
    "Execution",
    "Snapshot",
    "SynapseError",
    "InvalidArgumentError",
    "NotFoundError",
    "StateError",
    "__version__",
]
