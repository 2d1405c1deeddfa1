"""The exit codes of every ``bimcheck`` command, named once.

A CI pipeline gates on them: 0 the run passed its gate (or had none), 1 the
gate failed, 2 the input or the usage was bad (a message on stderr names the
file and what is wrong), 3 an internal error (a bug: ``-v`` shows the
traceback), 130 interrupted.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes."""

    OK = 0
    GATE_FAILED = 1
    BAD_INPUT = 2
    INTERNAL_ERROR = 3
    INTERRUPTED = 130
