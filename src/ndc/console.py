"""One place that decides how wide terminal output is."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console(stderr: bool = False) -> Console:
    """A Rich console; output that is not a terminal (CI logs, pipes) gets 120 columns, not 80."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 120)
