"""A bounds-checked reader for FlatBuffers tables.

The generated `tflite` readers trust every offset in the file: a malformed file makes them raise
whatever Python raises (IndexError, struct.error), or, through a negative offset, silently read
from the end of the buffer. Uploads are untrusted, so every access here is checked against the
buffer and a bad one raises `Invalid` naming what was wrong and where.

Reading also draws on a budget proportional to the file size. A well-formed file is a tree, so a
reader that visits each table and decodes each vector once stays within it; a crafted file can
point many tables at one large vector and would otherwise make a linear-looking walk quadratic.
"""
from __future__ import annotations

import struct

from ..errors import Invalid

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")

# Slack over the file size for the few things a valid writer may share (strings, vtables).
_BUDGET_SLACK = 4096


class Reader:
    """The file and the budget shared by every table read from it."""

    __slots__ = ("data", "size", "_budget")

    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)
        self._budget = 2 * self.size + _BUDGET_SLACK

    def charge(self, units: int) -> None:
        self._budget -= units
        if self._budget < 0:
            raise Invalid("the flatbuffer references the same data over and over "
                          "(more reads than a well-formed file of this size needs)")

    def check(self, pos: int, length: int, what: str) -> None:
        if pos < 0 or length < 0 or pos + length > self.size:
            raise Invalid(f"{what} at byte {pos} runs past the end of the file "
                          f"({self.size} bytes): the file is truncated or corrupt")

    def unpack(self, fmt: struct.Struct, pos: int, what: str):
        self.check(pos, fmt.size, what)
        return fmt.unpack_from(self.data, pos)[0]

    def root(self, identifier: bytes) -> "Table":
        if self.size < 8:
            raise Invalid(f"file is too short to be a flatbuffer ({self.size} bytes)")
        found = bytes(self.data[4:8])
        if found != identifier:
            raise Invalid(f"file identifier is {found!r}, expected {identifier!r}")
        return Table(self, self.unpack(_U32, 0, "root offset"), "root table")


class Table:
    """One table: fields are read by slot number (the field's position in the schema)."""

    __slots__ = ("_r", "_pos", "_vtable", "_vlen", "_tlen", "_what")

    def __init__(self, reader: Reader, pos: int, what: str):
        reader.charge(1)
        self._r, self._pos, self._what = reader, pos, what
        self._vtable = pos - reader.unpack(_I32, pos, what)
        self._vlen = reader.unpack(_U16, self._vtable, f"vtable of {what}")
        self._tlen = reader.unpack(_U16, self._vtable + 2, f"vtable of {what}")
        if self._vlen < 4 or self._vlen % 2:
            raise Invalid(f"vtable of {what} at byte {self._vtable} has a bad length {self._vlen}")
        reader.check(self._vtable, self._vlen, f"vtable of {what}")
        reader.check(pos, self._tlen, what)

    def _field(self, slot: int, size: int) -> int:
        """Absolute position of a present field, 0 when the field is absent."""
        entry = 4 + 2 * slot
        if entry >= self._vlen:
            return 0
        offset = _U16.unpack_from(self._r.data, self._vtable + entry)[0]
        if offset == 0:
            return 0
        if offset + size > self._tlen:
            raise Invalid(f"field {slot} of {self._what} lies outside its table")
        return self._pos + offset

    def scalar(self, slot: int, fmt: str, default=0):
        pos = self._field(slot, struct.calcsize("<" + fmt))
        return struct.unpack_from("<" + fmt, self._r.data, pos)[0] if pos else default

    def _target(self, slot: int, what: str) -> int:
        pos = self._field(slot, 4)
        if not pos:
            return 0
        return pos + self._r.unpack(_U32, pos, what)

    def table(self, slot: int, what: str) -> Table | None:
        pos = self._target(slot, what)
        return Table(self._r, pos, what) if pos else None

    def _span(self, slot: int, item_size: int, what: str) -> tuple[int, int]:
        """(start of elements, count) of a vector field; (0, 0) when absent."""
        pos = self._target(slot, what)
        if not pos:
            return 0, 0
        count = self._r.unpack(_U32, pos, f"length of {what}")
        self._r.check(pos + 4, count * item_size, what)
        return pos + 4, count

    def vector(self, slot: int, fmt: str, what: str) -> tuple:
        """A vector of scalars, e.g. fmt "i" for [int]."""
        start, count = self._span(slot, struct.calcsize("<" + fmt), what)
        self._r.charge(count)
        return struct.unpack_from(f"<{count}{fmt}", self._r.data, start) if count else ()

    def byte_span(self, slot: int, what: str) -> tuple[int, int]:
        """(start, length) of a [ubyte] field, without copying it."""
        return self._span(slot, 1, what)

    def string(self, slot: int, what: str) -> str:
        start, count = self._span(slot, 1, what)
        self._r.charge(count)
        # Names are meant to be UTF-8 but nothing downstream depends on that, so a bad byte
        # is shown rather than refused.
        return bytes(self._r.data[start:start + count]).decode("utf-8", "replace")

    def tables(self, slot: int, what: str) -> list[Table]:
        start, count = self._span(slot, 4, what)
        self._r.charge(count)
        data = self._r.data
        return [Table(self._r, start + 4 * i + _U32.unpack_from(data, start + 4 * i)[0],
                      f"{what}[{i}]") for i in range(count)]
