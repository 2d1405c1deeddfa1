"""A deflated zip of many small files, written in one pass: the bytes
``zipfile`` writes for the same entries (each a ``ZipInfo`` with the given
timestamp, deflated at zlib's default level, made on unix with mode 0644),
without its per-entry bookkeeping (a BCF of 57,435 files: about half the
time). tests/unit/test_zipout.py holds it to ``zipfile``'s bytes.

Archives past ``zipfile.ZIP64_LIMIT`` (2 GiB) in offsets or sizes are left
to ``zipfile`` itself; more than 65,535 entries get the zip64 end records
``zipfile`` writes.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence

__all__ = ["deflated_zip"]

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR64 = struct.Struct("<4sLQL")
_VERSION = 20  # deflate
_UNIX = 3
_MODE = 0o644 << 16
_UTF8_NAME = 0x800
_LIMIT = zipfile.ZIP64_LIMIT
_COUNT_LIMIT = 0xFFFF


def _dos(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d


def deflated_zip(entries: Sequence[tuple[str, bytes]],
                 date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """A zip of ``entries`` (name, bytes), in that order, every one stamped
    ``date_time`` (at 1980 or later)."""
    # Deflate grows incompressible data by well under 5 %; each entry adds a
    # local header and a central record (76 bytes) and its name twice.
    if sum(len(data) * 1.05 + 2 * len(name.encode("utf-8")) + 200
           for name, data in entries) > _LIMIT:
        return _with_zipfile(entries, date_time)
    dostime, dosdate = _dos(date_time)
    parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, data in entries:
        try:
            raw_name, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw_name, flags = name.encode("utf-8"), _UTF8_NAME
        z = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        packed = z.compress(data) + z.flush()
        crc = zlib.crc32(data)
        head = _LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, zipfile.ZIP_DEFLATED, dostime,
                           dosdate, crc, len(packed), len(data), len(raw_name), 0)
        parts += (head, raw_name, packed)
        central.append(_CENTRAL.pack(b"PK\x01\x02", _VERSION, _UNIX, _VERSION, 0, flags,
                                     zipfile.ZIP_DEFLATED, dostime, dosdate, crc, len(packed),
                                     len(data), len(raw_name), 0, 0, 0, 0, _MODE, offset)
                       + raw_name)
        offset += len(head) + len(raw_name) + len(packed)
    directory = b"".join(central)
    parts.append(directory)
    count = len(entries)
    end_at = offset + len(directory)
    if count > _COUNT_LIMIT:  # as zipfile writes it
        parts.append(_END64.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, count, count,
                                 len(directory), offset))
        parts.append(_LOCATOR64.pack(b"PK\x06\x07", 0, end_at, 1))
    parts.append(_END.pack(b"PK\x05\x06", 0, 0, min(count, _COUNT_LIMIT),
                           min(count, _COUNT_LIMIT), len(directory), offset, 0))
    return b"".join(parts)


def _with_zipfile(entries: Sequence[tuple[str, bytes]],
                  date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """The same archive written by ``zipfile`` (zip64 extra fields and all)."""
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, payload in entries:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = _UNIX
            info.external_attr = _MODE
            zf.writestr(info, payload)
    return buf.getvalue()
