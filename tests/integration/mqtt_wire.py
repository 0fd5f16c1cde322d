"""A second implementation of the MQTT payloads of docs/mqtt.md (protocol v1), written from the
document alone (not from shared/wire), for the integration tests: the request encoder (raw
records section; this Python has no zstd) and the answer decoder, with the doc's worked example
as a self-check (`python3 mqtt_wire.py`)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

REQUEST_MAGIC = 0x52
ANSWER_MAGIC = 0x41
VERSION = 1


def varint(v: int) -> bytes:
    if v < 0 or v >= 1 << 64:
        raise ValueError("varint out of range")
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def sized(b: bytes) -> bytes:
    return varint(len(b)) + b


def with_crc(body: bytes) -> bytes:
    return body + zlib.crc32(body).to_bytes(4, "big")


@dataclass
class Record:
    partition_key: str
    data: bytes
    explicit_hash_key: str = ""
    timestamp_ms: int = 0


def encode_request(producer_id: bytes, flow: str, sequence: int, records: list[Record],
                   version: int = VERSION) -> bytes:
    """§7.2: magic, version, flags (0: raw section), producer id, flow, batch sequence, record
    count, section size, section, CRC-32 (big-endian) of everything before it."""
    if len(producer_id) != 16:
        raise ValueError("producer id is 16 bytes")
    section = b"".join(sized(r.partition_key.encode()) + sized(r.explicit_hash_key.encode()) +
                       sized(r.data) + varint(r.timestamp_ms) for r in records)
    body = (bytes([REQUEST_MAGIC, version, 0]) + producer_id + sized(flow.encode()) +
            varint(sequence) + varint(len(records)) + varint(len(section)) + section)
    return with_crc(body)


@dataclass
class Result:
    ok: bool
    shard_index: int = 0
    sequence_number: str = ""
    error_code: str = ""
    error_message: str = ""

    @property
    def shard_id(self) -> str:
        return f"shardId-{self.shard_index:012d}"


@dataclass
class Answer:
    records: list[Result] = field(default_factory=list)
    error_type: str | None = None  # set for a whole-batch error (kind 1)
    message: str = ""
    retryable: bool = False


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ValueError("truncated")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self) -> int:
        v, shift = 0, 0
        for i in range(10):
            b = self.byte()
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                if i and b == 0:
                    raise ValueError("non-minimal varint")
                return v
            shift += 7
        raise ValueError("varint too long")

    def bytes(self) -> bytes:
        n = self.varint()
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        self.pos += n
        return self.data[self.pos - n:self.pos]


def decode_answer(payload: bytes) -> Answer:
    """§8. Raises ValueError on anything outside the grammar (the agent's 'cannot decode')."""
    if len(payload) < 7:
        raise ValueError("too short")
    body, crc = payload[:-4], int.from_bytes(payload[-4:], "big")
    if zlib.crc32(body) != crc:
        raise ValueError("bad checksum")
    r = _Reader(body)
    if r.byte() != ANSWER_MAGIC or r.byte() != VERSION:
        raise ValueError("not a v1 answer")
    kind = r.byte()
    out = Answer()
    if kind == 0:
        count, failed = r.varint(), r.varint()
        for _ in range(count):
            status = r.byte()
            if status == 0:
                shard = r.varint()
                out.records.append(Result(True, shard, r.bytes().decode("ascii")))
            elif status == 1:
                code = r.bytes().decode("ascii")
                out.records.append(Result(False, error_code=code,
                                          error_message=r.bytes().decode("utf-8")))
            else:
                raise ValueError(f"unknown status {status}")
        if failed != sum(not x.ok for x in out.records):
            raise ValueError("failed count disagrees")
    elif kind == 1:
        out.error_type = r.bytes().decode("ascii")
        out.message = r.bytes().decode("utf-8")
        flag = r.byte()
        if flag not in (0, 1):
            raise ValueError("bad retryable flag")
        out.retryable = flag == 1
    else:
        raise ValueError(f"unknown kind {kind}")
    if r.pos != len(body):
        raise ValueError("trailing bytes")
    return out


if __name__ == "__main__":
    # docs/mqtt.md §11: the 65-byte request and its 83-byte error answer.
    req = encode_request(bytes.fromhex("00112233445566778899aabbccddeeff"), "app", 42,
                         [Record("host-1", b"hello", timestamp_ms=1715238000123),
                          Record("host-1", b"world")])
    assert len(req) == 65 and req[-4:] == bytes.fromhex("7b12819d"), req.hex()
    err = bytes.fromhex("410101") + sized(b"ResourceNotFoundException") + sized(
        b"Stream app under account 000000000000 not found.") + b"\x01"
    ans = decode_answer(with_crc(err))
    assert ans.error_type == "ResourceNotFoundException" and ans.retryable
    assert with_crc(err)[-4:] == bytes.fromhex("7d6eda42")
    print("worked example ok")
