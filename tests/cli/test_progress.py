"""The progress bar shows on a terminal and stays silent otherwise."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from click.testing import CliRunner

from bimcheck.cli.main import cli
from tests.conftest import shared_model


def test_no_progress_when_not_a_tty():
    path = shared_model("AC20-FZK-Haus.ifc")
    result = CliRunner().invoke(cli, ["info", str(path), "--no-cache", "--json"])
    assert result.exit_code == 0
    assert result.stderr == ""


def test_progress_on_a_terminal():
    path = shared_model("AC20-FZK-Haus.ifc")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bimcheck.cli", "info", str(path), "--no-cache", "--json",
         "-o", os.devnull, "--overwrite"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=120) == 0
    os.close(leader)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "Tessellating AC20-FZK-Haus.ifc" in text
    assert "/107" in text  # done/total
