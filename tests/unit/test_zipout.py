"""The one-pass zip writer against zipfile: the same bytes, and archives that
read back (zip64 end records past 65,535 entries, UTF-8 names, the fallback)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from bimcheck.report import zipout

STAMP = (2024, 5, 1, 12, 30, 58)


def _zipfile_bytes(entries, date_time):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, payload)
    return buf.getvalue()


ENTRIES = [("bcf.version", b'<?xml version="1.0"?>\n<Version />\n'),
           ("a/markup.bcf", b"<Markup>" + b"text " * 500 + b"</Markup>"),
           ("a/empty", b""),
           ("b/random.bin", os.urandom(3000)),
           ("c/\u00e9t\u00e9 \u4e2d\u6587.txt", "\u00e9\u00e9".encode())]


@pytest.mark.parametrize("stamp", [STAMP, (1980, 1, 1, 0, 0, 0), (2107, 12, 31, 23, 59, 59)])
def test_the_bytes_zipfile_writes(stamp):
    data = zipout.deflated_zip(ENTRIES, stamp)
    assert data == _zipfile_bytes(ENTRIES, stamp)
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.testzip() is None
    assert [(i.filename, zf.read(i)) for i in zf.infolist()] == ENTRIES
    assert zf.infolist()[-1].flag_bits & 0x800  # the UTF-8 name


def test_no_entry_at_all():
    assert zipout.deflated_zip([], STAMP) == _zipfile_bytes([], STAMP)


def test_more_entries_than_a_plain_end_record_counts():
    entries = [(f"{n:05d}", b"x") for n in range(65_537)]
    data = zipout.deflated_zip(entries, STAMP)
    assert data == _zipfile_bytes(entries, STAMP)
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 65_537


def test_an_archive_past_the_zip64_limit_is_written_by_zipfile(monkeypatch):
    monkeypatch.setattr(zipout, "_LIMIT", 1000)
    data = zipout.deflated_zip(ENTRIES, STAMP)
    assert data == _zipfile_bytes(ENTRIES, STAMP)


def test_long_names_count_towards_the_zip64_limit(monkeypatch):
    """Names are written twice (local header and central record): many long
    names push the offsets past the limit, where zipfile writes zip64 records."""
    monkeypatch.setattr(zipout, "_LIMIT", 1_000_000)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1_000_000)
    entries = [("n" * 2000 + str(i), b"") for i in range(600)]
    data = zipout.deflated_zip(entries, STAMP)
    assert data == _zipfile_bytes(entries, STAMP)
    assert b"PK\x06\x07" in data  # the zip64 end record locator
