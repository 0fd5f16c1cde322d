"""Differential tests: the same raw requests to kinesalite 3.3.3 (the oracle, 2020-era AWS
behaviour and error texts) and to the collector; outcome (success or error), error __type and,
where today's AWS and kinesalite agree, the message must match.

Where kinesalite keeps 2020 behaviour that today's AWS has left, the case is listed in
KNOWN_DEVIATIONS with a one-line reason and the collector alone is held to AWS's behaviour.

Run by hand:  python3 -m unittest -v test_differential   (from tests/integration)
With TRIB_TARGET=kinesalite both sides are kinesalite (a check of the harness itself), and the
known deviations are skipped.
"""

from __future__ import annotations

import time
import unittest
from dataclasses import dataclass, field
from typing import Callable

from harness import (Kinesalite, RawResponse, ServerError, ServerTestCase,
                     on_kinesalite, raw_call, start_target, stream_arn)

MAX_HASH = 2**128 - 1


class Side:
    """One server as seen by a case. Stream names are deterministic per case, so both servers
    see the same names and messages that quote them can be compared."""

    def __init__(self, endpoint: str, case_id: str) -> None:
        self.endpoint = endpoint
        self.case_id = case_id.replace("_", "-")
        self.streams = 0

    def call(self, op: str, body) -> RawResponse:
        return raw_call(self.endpoint, op, body)

    def ok(self, op: str, body) -> dict:
        resp = self.call(op, body)
        if resp.status != 200:
            raise AssertionError(f"setup {op} failed on {self.endpoint}: {resp}")
        return resp.json or {}

    def stream(self, shards: int = 1) -> str:
        self.streams += 1
        name = f"diff-{self.case_id}-{self.streams}"
        self.ok("CreateStream", {"StreamName": name, "ShardCount": shards})
        self.wait_active(name)
        return name

    def wait_active(self, name: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            summary = self.ok("DescribeStreamSummary", {"StreamName": name})
            if summary["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                return
            time.sleep(0.05)
        raise AssertionError(f"{name} not ACTIVE on {self.endpoint} after {timeout} s")

    def iterator_request(self, name: str, **extra) -> dict:
        return {"StreamName": name, "ShardId": "shardId-000000000000", **extra}


@dataclass
class Case:
    run: Callable[[Side], RawResponse]
    compare_message: bool = True
    contains: tuple[str, ...] = ()  # checked on the collector when messages are not compared


CASES: dict[str, Case] = {}


def case(compare_message: bool = True, contains: tuple[str, ...] = ()):
    def register(fn: Callable[[Side], RawResponse]):
        CASES[fn.__name__] = Case(fn, compare_message, contains)
        return fn
    return register


# --- streams ---------------------------------------------------------------------------------

@case()
def create_stream(s: Side):
    return s.call("CreateStream", {"StreamName": f"diff-{s.case_id}", "ShardCount": 2})


@case()
def create_duplicate_stream(s: Side):
    name = s.stream()
    return s.call("CreateStream", {"StreamName": name, "ShardCount": 1})


@case()
def describe_missing_stream(s: Side):
    return s.call("DescribeStream", {"StreamName": f"diff-{s.case_id}-missing"})


@case()
def describe_summary_missing_stream(s: Side):
    return s.call("DescribeStreamSummary", {"StreamName": f"diff-{s.case_id}-missing"})


@case()
def delete_missing_stream(s: Side):
    return s.call("DeleteStream", {"StreamName": f"diff-{s.case_id}-missing"})


@case()
def invalid_stream_name(s: Side):
    return s.call("CreateStream", {"StreamName": "x!", "ShardCount": 1})


@case()
def stream_name_too_long(s: Side):
    return s.call("CreateStream", {"StreamName": "n" * 129, "ShardCount": 1})


@case()
def shard_count_zero(s: Side):
    return s.call("CreateStream", {"StreamName": f"diff-{s.case_id}", "ShardCount": 0})


@case()
def shard_count_not_a_number(s: Side):
    return s.call("CreateStream", {"StreamName": f"diff-{s.case_id}", "ShardCount": "two"})


@case(compare_message=False)
def unknown_operation(s: Side):
    return s.call("MakeCoffee", {})


@case(compare_message=False)
def malformed_json(s: Side):
    return s.call("ListStreams", b'{"Limit": ')


# --- records ---------------------------------------------------------------------------------

@case()
def put_record_without_partition_key(s: Side):
    return s.call("PutRecord", {"StreamName": s.stream(), "Data": "AAAA"})


@case()
def put_record_explicit_hash_key_out_of_range(s: Side):
    return s.call("PutRecord", {"StreamName": s.stream(), "Data": "AAAA", "PartitionKey": "a",
                                "ExplicitHashKey": str(2**128)})


@case()
def put_record_explicit_hash_key_not_a_number(s: Side):
    return s.call("PutRecord", {"StreamName": s.stream(), "Data": "AAAA", "PartitionKey": "a",
                                "ExplicitHashKey": "abc"})


@case()
def put_record_empty_partition_key(s: Side):
    return s.call("PutRecord", {"StreamName": s.stream(), "Data": "", "PartitionKey": ""})


@case()
def put_record_explicit_hash_key_with_leading_zero(s: Side):
    return s.call("PutRecord", {"StreamName": s.stream(), "Data": "", "PartitionKey": "a",
                                "ExplicitHashKey": "007"})


@case()
def put_record_partition_key_too_long(s: Side):
    return s.call("PutRecord", {"StreamName": s.stream(), "Data": "", "PartitionKey": "k" * 257})


@case()
def put_records_entry_without_partition_key(s: Side):
    return s.call("PutRecords", {"StreamName": s.stream(),
                                 "Records": [{"Data": "AAAA", "PartitionKey": "a"},
                                             {"Data": "AAAA"}]})


@case(compare_message=False, contains=("at 'records' failed to satisfy constraint: Member must "
                                       "have length less than or equal to 500",))
def put_records_over_500(s: Side):
    return s.call("PutRecords", {"StreamName": s.stream(),
                                 "Records": [{"Data": "", "PartitionKey": "a"}] * 501})


@case()
def put_records_missing_stream(s: Side):
    return s.call("PutRecords", {"StreamName": f"diff-{s.case_id}-missing",
                                 "Records": [{"Data": "", "PartitionKey": "a"}]})


# --- iterators -------------------------------------------------------------------------------

@case()
def iterator_bad_type(s: Side):
    return s.call("GetShardIterator", s.iterator_request(s.stream(), ShardIteratorType="FOO"))


@case()
def iterator_missing_starting_sequence_number(s: Side):
    return s.call("GetShardIterator",
                  s.iterator_request(s.stream(), ShardIteratorType="AFTER_SEQUENCE_NUMBER"))


@case()
def iterator_latest_with_starting_sequence_number(s: Side):
    return s.call("GetShardIterator", s.iterator_request(
        s.stream(), ShardIteratorType="LATEST", StartingSequenceNumber="1"))


@case()
def iterator_at_timestamp_without_timestamp(s: Side):
    return s.call("GetShardIterator",
                  s.iterator_request(s.stream(), ShardIteratorType="AT_TIMESTAMP"))


@case()
def iterator_sequence_number_from_another_shard(s: Side):
    name = s.stream(2)
    put = s.ok("PutRecord", {"StreamName": name, "Data": "AAAA", "PartitionKey": "a",
                             "ExplicitHashKey": str(MAX_HASH)})
    return s.call("GetShardIterator", s.iterator_request(
        name, ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"]))


@case()
def iterator_unknown_shard(s: Side):
    return s.call("GetShardIterator", {"StreamName": s.stream(), "ShardId": "shardId-000000000004",
                                       "ShardIteratorType": "TRIM_HORIZON"})


@case()
def get_records_invalid_iterator(s: Side):
    return s.call("GetRecords", {"ShardIterator": "bm90IGFuIGl0ZXJhdG9y"})


@case()
def get_records_after_stream_deleted(s: Side):
    name = s.stream()
    it = s.ok("GetShardIterator", s.iterator_request(name, ShardIteratorType="TRIM_HORIZON"))
    s.ok("DeleteStream", {"StreamName": name})
    deadline = time.monotonic() + 20
    while s.call("DescribeStreamSummary", {"StreamName": name}).status == 200:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} not deleted on {s.endpoint}")
        time.sleep(0.05)
    return s.call("GetRecords", {"ShardIterator": it["ShardIterator"]})


@case()
def iterator_starting_sequence_number_not_a_number(s: Side):
    return s.call("GetShardIterator", s.iterator_request(
        s.stream(), ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber="12ab"))


@case()
def get_records_limit_above_10000(s: Side):
    name = s.stream()
    it = s.ok("GetShardIterator", s.iterator_request(name, ShardIteratorType="LATEST"))
    return s.call("GetRecords", {"ShardIterator": it["ShardIterator"], "Limit": 10001})


@case()
def describe_stream_limit_above_10000(s: Side):
    return s.call("DescribeStream", {"StreamName": s.stream(), "Limit": 10001})


@case()
def get_records_limit_zero(s: Side):
    name = s.stream()
    it = s.ok("GetShardIterator", s.iterator_request(name, ShardIteratorType="LATEST"))
    return s.call("GetRecords", {"ShardIterator": it["ShardIterator"], "Limit": 0})


# --- resharding ------------------------------------------------------------------------------

@case()
def split_hash_key_outside_shard(s: Side):
    return s.call("SplitShard", {"StreamName": s.stream(2), "ShardToSplit": "shardId-000000000000",
                                 "NewStartingHashKey": str(MAX_HASH)})


@case()
def split_unknown_shard(s: Side):
    return s.call("SplitShard", {"StreamName": s.stream(), "ShardToSplit": "shardId-000000000003",
                                 "NewStartingHashKey": "1000"})


@case()
def merge_non_adjacent_shards(s: Side):
    return s.call("MergeShards", {"StreamName": s.stream(3),
                                  "ShardToMerge": "shardId-000000000000",
                                  "AdjacentShardToMerge": "shardId-000000000002"})


@case()
def merge_unknown_shard(s: Side):
    return s.call("MergeShards", {"StreamName": s.stream(2),
                                  "ShardToMerge": "shardId-000000000001",
                                  "AdjacentShardToMerge": "shardId-000000000002"})


# --- retention -------------------------------------------------------------------------------

@case()
def retention_below_24_hours(s: Side):
    return s.call("IncreaseStreamRetentionPeriod",
                  {"StreamName": s.stream(), "RetentionPeriodHours": 12})


@case()
def decrease_retention_above_current(s: Side):
    return s.call("DecreaseStreamRetentionPeriod",
                  {"StreamName": s.stream(), "RetentionPeriodHours": 48})


@case()
def increase_retention_below_current(s: Side):
    name = s.stream()
    s.ok("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 72})
    s.wait_active(name)
    return s.call("IncreaseStreamRetentionPeriod", {"StreamName": name, "RetentionPeriodHours": 48})


@case()
def retention_above_168_hours(s: Side):
    return s.call("IncreaseStreamRetentionPeriod",
                  {"StreamName": s.stream(), "RetentionPeriodHours": 200})


@case()
def retention_above_one_year(s: Side):
    return s.call("IncreaseStreamRetentionPeriod",
                  {"StreamName": s.stream(), "RetentionPeriodHours": 8761})


# --- tags and listings -----------------------------------------------------------------------

@case()
def tags_round_trip(s: Side):
    name = s.stream()
    s.ok("AddTagsToStream", {"StreamName": name, "Tags": {"b": "2", "a": "1", "c": ""}})
    s.ok("RemoveTagsFromStream", {"StreamName": name, "TagKeys": ["c"]})
    return s.call("ListTagsForStream", {"StreamName": name})


@case()
def tags_invalid_characters(s: Side):
    return s.call("AddTagsToStream", {"StreamName": s.stream(), "Tags": {"bad#key": "v"}})


@case()
def list_tags_limit_above_10(s: Side):
    return s.call("ListTagsForStream", {"StreamName": s.stream(), "Limit": 11})


@case()
def list_shards_with_next_token_and_stream_name(s: Side):
    return s.call("ListShards", {"StreamName": s.stream(), "NextToken": "AAAAAAAAAAGK9EEG"})


@case(compare_message=False)
def list_shards_without_stream(s: Side):
    return s.call("ListShards", {})


@case()
def list_streams_limit_zero(s: Side):
    return s.call("ListStreams", {"Limit": 0})


@case()
def describe_stream_shape(s: Side):
    return s.call("DescribeStream", {"StreamName": s.stream(2)})


@case()
def list_streams_shape(s: Side):
    s.stream()
    return s.call("ListStreams", {})


@case()
def describe_summary_by_stream_arn(s: Side):
    name = s.stream()
    return s.call("DescribeStreamSummary", {"StreamARN": stream_arn(name)})


# --- known deviations ------------------------------------------------------------------------


@dataclass
class Aws:
    """What today's AWS answers: success (error None) or an error, optionally with its message
    and a check on a successful body."""
    error: str | None = None
    message: str | None = None
    check: Callable[[dict], None] | None = field(default=None, repr=False)


def _has_mode(body: dict) -> None:
    assert body["StreamDescription"]["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}, body


def _has_summaries(body: dict) -> None:
    names = set(body["StreamNames"])
    assert {s["StreamName"] for s in body["StreamSummaries"]} == names, body
    assert all(s["StreamARN"] == stream_arn(s["StreamName"]) for s in body["StreamSummaries"])


def _is_summary(body: dict) -> None:
    assert body["StreamDescriptionSummary"]["StreamName"].startswith("diff-"), body


KNOWN_DEVIATIONS: dict[str, tuple[str, Aws]] = {
    "retention_above_168_hours": (
        "kinesalite caps retention at 168 h (pre-2020 limit); AWS allows up to 8760 h",
        Aws()),
    "retention_above_one_year": (
        "kinesalite rejects > 168 h by validation; AWS's limit is 8760 h with its own message",
        Aws("InvalidArgumentException", "Maximum allowed retention period is 8760 hours. "
                                        "Requested retention period (8761 hours) is too long.")),
    "list_tags_limit_above_10": (
        "kinesalite caps ListTagsForStream Limit at 10; the model allows 1..50",
        Aws()),
    "put_record_explicit_hash_key_with_leading_zero": (
        "kinesalite matches model patterns unanchored, so '007' passes; Coral matches whole values",
        Aws("ValidationException",
            "1 validation error detected: Value '007' at 'explicitHashKey' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})")),
    "describe_stream_shape": (
        "kinesalite predates StreamModeDetails (2021-11)",
        Aws(check=_has_mode)),
    "list_streams_shape": (
        "kinesalite predates StreamSummaries (2022-12)",
        Aws(check=_has_summaries)),
    "describe_summary_by_stream_arn": (
        "kinesalite requires StreamName; since 2022-12 StreamARN may replace it",
        Aws(check=_is_summary)),
}


# --- the test class --------------------------------------------------------------------------


class DifferentialTest(ServerTestCase):
    """kinesalite is the oracle; the collector (TRIB_TARGET) is the subject."""

    @classmethod
    def setUpClass(cls) -> None:
        try:
            oracle = Kinesalite()
        except ServerError as err:
            raise unittest.SkipTest(f"no oracle: {err}")
        oracle.start()
        cls.addClassCleanup(oracle.cleanup)
        cls.oracle = oracle
        cls.start_server(start_target("--throughput-limits=off"))

    def outcome(self, resp: RawResponse) -> str:
        return "success" if resp.status == 200 else f"{resp.status} {resp.error_type}"

    def check_case(self, case_id: str) -> None:
        spec = CASES[case_id]
        got = spec.run(Side(self.server.endpoint, case_id))
        if case_id in KNOWN_DEVIATIONS:
            if on_kinesalite():
                self.skipTest(f"known kinesalite deviation: {KNOWN_DEVIATIONS[case_id][0]}")
            self.check_aws(got, KNOWN_DEVIATIONS[case_id][1])
            return
        want = spec.run(Side(self.oracle.endpoint, case_id))
        detail = f"\n  kinesalite: {want!r}\n  subject:    {got!r}"
        self.assertEqual(self.outcome(got), self.outcome(want), detail)
        if want.status == 200:
            if case_id == "tags_round_trip":
                self.assertEqual(got.json, want.json, detail)
            return
        if spec.compare_message:
            self.assertEqual(got.message, want.message, detail)
        for part in spec.contains:
            self.assertIn(part, got.message or "", detail)

    def check_aws(self, got: RawResponse, aws: Aws) -> None:
        if aws.error is None:
            self.assertEqual(got.status, 200, got)
            if aws.check:
                aws.check(got.json or {})
            return
        self.assertRawError(got, aws.error, aws.message)


def _make_test(case_id: str):
    def test(self):
        self.check_case(case_id)
    test.__name__ = f"test_{case_id}"
    test.__doc__ = KNOWN_DEVIATIONS.get(case_id, (None,))[0]
    return test


for _case_id in CASES:
    setattr(DifferentialTest, f"test_{_case_id}", _make_test(_case_id))

assert set(KNOWN_DEVIATIONS) <= set(CASES), set(KNOWN_DEVIATIONS) - set(CASES)

if __name__ == "__main__":
    unittest.main()
