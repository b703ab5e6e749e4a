"""Where the local stack keeps its state: one git-ignored directory, overridable for tests."""

from __future__ import annotations

import os
import socket
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """The stack's state directory: $HUB_STATE_DIR, or .state/ at the top of the checkout."""
    return Path(os.environ.get("HUB_STATE_DIR", REPO_ROOT / ".state")).resolve()


def free_port() -> int:
    """A loopback port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on the loopback port (TIME_WAIT left by a stopped server is fine:
    the JVM and PostgreSQL bind with SO_REUSEADDR too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
