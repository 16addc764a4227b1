"""Hand-made zip files for the checkpoint tests: members whose directory entries say whatever
a test needs (sizes, CRC-32s, repeated names), which the zipfile module refuses to write.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

STORED, DEFLATED = 0, 8
_FFFF = 0xFFFFFFFF


@dataclass
class Member:
    """One member: its name, the bytes stored for it (already compressed for DEFLATED), and
    what the directory declares: the inflated size and CRC-32 (the true ones unless given)."""

    name: str
    data: bytes
    method: int = STORED
    file_size: int | None = None
    crc: int | None = None

    def declared(self) -> tuple[int, int]:
        """(inflated size, CRC-32) for the directory; inflates the data only when not given."""
        if self.file_size is not None and self.crc is not None:
            return self.file_size, self.crc
        inflated = self.data if self.method == STORED else zlib.decompress(self.data, -15)
        return (len(inflated) if self.file_size is None else self.file_size,
                zlib.crc32(inflated) if self.crc is None else self.crc)


def deflated(data: bytes, *, final: bool = True) -> bytes:
    """``data`` as raw deflate blocks; with ``final=False`` the blocks end byte-aligned and
    unfinished (a full flush), so that such pieces can be concatenated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + (c.flush() if final else c.flush(zlib.Z_FULL_FLUSH))


def deflated_zeros(prefix: bytes, mebibytes: int) -> bytes:
    """Raw deflate of ``prefix`` and ``mebibytes`` MiB of zeros, about 1 kB a MiB: one
    compressed MiB of zeros repeated, so an 8 GiB bomb takes a moment to build."""
    zeros = deflated(bytes(1 << 20), final=False)
    return deflated(prefix, final=False) + zeros * mebibytes + deflated(b"")


def raw_zip(members: list[Member]) -> bytes:
    """A zip file of ``members``, in order, with a zip64 extra field wherever a size needs it."""
    out, central = bytearray(), bytearray()
    for m in members:
        size, crc = m.declared()
        name = m.name.encode()
        big = size >= _FFFF or len(m.data) >= _FFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(m.data)) if big else b""
        sizes = (_FFFF, _FFFF) if big else (len(m.data), size)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, m.method, 0, 0x21, crc, *sizes,
                           len(name), len(extra)) + name + extra + m.data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, m.method, 0, 0x21,
                               crc, *sizes, len(name), len(extra), 0, 0, 0, 0, offset)
        central += name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(out), 0)
    return bytes(out + central + end)
