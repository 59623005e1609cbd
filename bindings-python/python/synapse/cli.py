"""The ``synapse`` command: ``synapse gateway [--host H] [--port P] [--api-key K] [--deny-private-urls]``.

Flags, defaults and behaviour live in the Rust core (``npx synapse-gateway`` runs the same code).
"""

from __future__ import annotations

import signal
import sys
from typing import List, Optional

from synapse._synapse import gateway_main

USAGE = "usage: synapse gateway [--help] [--host HOST] [--port PORT] [--api-key KEY] [--deny-private-urls]"


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "gateway":
        print(USAGE, file=sys.stderr)
        return 2
    # The core handles SIGINT itself (graceful shutdown); Python's handler would raise
    # KeyboardInterrupt once it returns.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return gateway_main(args[1:])


if __name__ == "__main__":
    sys.exit(main())
