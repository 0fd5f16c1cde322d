"""The subset of CBOR (RFC 8949) that the AWS SDK for Java sends and reads for Kinesis
(`application/x-amz-cbor-1.1`), standard library only.

Encoding can write maps as indefinite-length items, as Jackson's CBOR generator does; decoding
accepts definite and indefinite lengths, tags, floats of every width and the simple values.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Tag:
    tag: int
    value: object


class Indefinite(dict):
    """A dict that encodes as an indefinite-length map (0xbf ... 0xff)."""


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(f"integer too large for CBOR: {n}")


def dumps(value) -> bytes:
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, Tag):
        return _head(6, value.tag) + dumps(value.value)
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(dumps(v) for v in value)
    if isinstance(value, Indefinite):
        return b"\xbf" + b"".join(dumps(k) + dumps(v) for k, v in value.items()) + b"\xff"
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(dumps(k) + dumps(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


_BREAK = object()


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated CBOR")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def length(self, info: int) -> int | None:
        if info < 24:
            return info
        if info == 31:
            return None
        sizes = {24: 1, 25: 2, 26: 4, 27: 8}
        if info not in sizes:
            raise ValueError(f"reserved additional information {info}")
        return int.from_bytes(self.take(sizes[info]), "big")

    def item(self):
        first = self.take(1)[0]
        major, info = first >> 5, first & 0x1F
        if major == 7:
            return self.simple(info)
        n = self.length(info)
        if major == 0:
            return n
        if major == 1:
            return -1 - n
        if major in (2, 3):
            if n is None:
                parts = []
                while (part := self.item()) is not _BREAK:
                    parts.append(part)
                return (b"" if major == 2 else "").join(parts)
            raw = self.take(n)
            return raw if major == 2 else raw.decode()
        if major == 4:
            out = []
            while n is None or len(out) < n:
                v = self.item()
                if v is _BREAK:
                    break
                out.append(v)
            return out
        if major == 5:
            out = {}
            while n is None or len(out) < n:
                k = self.item()
                if k is _BREAK:
                    break
                out[k] = self.item()
            return out
        return Tag(n, self.item())

    def simple(self, info: int):
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 25:
            return struct.unpack(">e", self.take(2))[0]
        if info == 26:
            return struct.unpack(">f", self.take(4))[0]
        if info == 27:
            return struct.unpack(">d", self.take(8))[0]
        if info == 31:
            return _BREAK
        raise ValueError(f"unsupported simple value {info}")


def loads(data: bytes):
    reader = _Reader(data)
    value = reader.item()
    if reader.pos != len(data):
        raise ValueError(f"{len(data) - reader.pos} trailing bytes after CBOR item")
    return value
