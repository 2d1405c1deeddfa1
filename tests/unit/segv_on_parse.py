"""Preloaded into the batch's forkserver by a test: a model file called
``segv.ifc`` kills the task's process with SIGSEGV when it is parsed, as a
crash of IfcOpenShell's parser would (the batch must report it in its place
and go on). bimcheck refuses every input known to crash the parser before
parsing it, so the crash is made here."""

from __future__ import annotations

import os
import signal

import bimcheck.model as model

_real = model._parse


def _parse(source, shown):
    if shown.name == "segv.ifc":
        os.kill(os.getpid(), signal.SIGSEGV)
    return _real(source, shown)


model._parse = _parse
