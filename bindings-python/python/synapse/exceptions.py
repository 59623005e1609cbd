"""The exceptions the Synapse SDK raises. The native core maps its one error type onto these."""

from __future__ import annotations

from typing import Optional


class SynapseError(Exception):
    """Base of every Synapse error. ``code`` is the engine's stable error code."""

    code: str = "internal"
    field: Optional[str] = None


class InvalidArgumentError(SynapseError, ValueError):
    """An argument was rejected; ``field`` names it and the message says what is expected."""

    code = "invalid_argument"


class NotFoundError(SynapseError, KeyError):
    """No webhook or cell has the given id."""

    code = "not_found"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StateError(SynapseError):
    """The call is not valid in the cell's current state (e.g. ``run()`` on a killed cell)."""

    code = "invalid_state"


__all__ = ["SynapseError", "InvalidArgumentError", "NotFoundError", "StateError"]
