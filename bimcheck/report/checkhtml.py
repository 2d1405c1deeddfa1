"""Placeholder until the risk report page lands: the JSON summary as escaped text."""

from __future__ import annotations

import html
import json
from typing import Any


def check_html(doc: dict[str, Any]) -> str:
    """A minimal page (replaced by the full risk report)."""
    body = html.escape(json.dumps(doc["summary"], indent=1, sort_keys=True))
    return f"<!doctype html><meta charset=utf-8><title>bimcheck</title><pre>{body}</pre>\n"
