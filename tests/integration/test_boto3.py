"""boto3 against the collector: every Kinesis operation of the installed botocore model except
SubscribeToShard (HTTP/2 event stream, not callable from boto3), with AWS's error texts.
test_boto3_operational.py holds the collector-only behaviour (throttling, trimming, restarts,
SigV4, status transitions).

Each TestCase class shares one server started with the flags it needs; each test makes its own
streams. Run by hand:  python3 -m unittest -v test_boto3   (from tests/integration)
TRIB_TARGET=kinesalite runs the same tests against kinesalite 3.3.3; tests of features it lacks
or where it keeps 2020-era behaviour are skipped with the reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import threading
import time
import unittest
from pathlib import Path

from harness import (ACCOUNT, aws_only, boto3_client, on_kinesalite, raw_call, stream_arn,
                     unique_name, wait_for_deletion, wait_for_status)
from kinesis_case import (MAX_HASH, MIB, KinesisTestCase, hash_key, hash_range, needs_model,
                          not_found, seq)


# ============================================================================================
# Control plane


class StreamLifecycleTest(KinesisTestCase):

    def test_create_provisioned_stream_has_even_hash_ranges(self):
        name = self.new_stream(3)
        desc = self.k.describe_stream(StreamName=name)["StreamDescription"]
        self.assertEqual(desc["StreamName"], name)
        self.assertEqual(desc["StreamARN"], stream_arn(name))
        self.assertEqual(desc["StreamStatus"], "ACTIVE")
        self.assertFalse(desc["HasMoreShards"])
        self.assertEqual(desc["RetentionPeriodHours"], 24)
        self.assertEqual(desc["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])
        self.assertEqual(desc.get("EncryptionType", "NONE"), "NONE")
        age = dt.datetime.now(dt.timezone.utc) - desc["StreamCreationTimestamp"]
        self.assertLess(abs(age.total_seconds()), 120)
        # The boundaries AWS produces for 3 shards (kinesalite's tests recorded them).
        self.assertEqual(
            [(s["ShardId"], *hash_range(s)) for s in desc["Shards"]],
            [("shardId-000000000000", "0", "113427455640312821154458202477256070484"),
             ("shardId-000000000001", "113427455640312821154458202477256070485",
              "226854911280625642308916404954512140969"),
             ("shardId-000000000002", "226854911280625642308916404954512140970", str(MAX_HASH))])
        for shard in desc["Shards"]:
            self.assertRegex(shard["SequenceNumberRange"]["StartingSequenceNumber"], r"^\d{1,129}$")
            self.assertNotIn("EndingSequenceNumber", shard["SequenceNumberRange"])
            self.assertNotIn("ParentShardId", shard)

    @aws_only("DescribeStream has no StreamModeDetails")
    @needs_model("DescribeStream", "Output.StreamDescription.StreamModeDetails")
    def test_describe_stream_reports_provisioned_mode(self):
        name = self.new_stream(1)
        desc = self.k.describe_stream(StreamName=name)["StreamDescription"]
        self.assertEqual(desc["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        summary = self.k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamModeDetails"], {"StreamMode": "PROVISIONED"})

    @aws_only("no StreamModeDetails / ON_DEMAND")
    @needs_model("CreateStream", "Input.StreamModeDetails")
    def test_create_on_demand_stream_starts_with_four_shards(self):
        name = self.new_stream(None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        summary = self.k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamModeDetails"], {"StreamMode": "ON_DEMAND"})
        self.assertEqual(summary["OpenShardCount"], 4)
        self.assertEqual(len(self.shards(name)), 4)

    @aws_only("no StreamModeDetails")
    @needs_model("CreateStream", "Input.StreamModeDetails")
    def test_provisioned_stream_without_shard_count_is_rejected(self):
        with self.assertAwsError("InvalidArgumentException",
                                 "ShardCount cannot be null when creating stream in PROVISIONED "
                                 "StreamMode"):
            self.k.create_stream(StreamName=unique_name("s"),
                                 StreamModeDetails={"StreamMode": "PROVISIONED"})

    def test_describe_stream_summary(self):
        name = self.new_stream(2)
        summary = self.k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamName"], name)
        self.assertEqual(summary["StreamARN"], stream_arn(name))
        self.assertEqual(summary["StreamStatus"], "ACTIVE")
        self.assertEqual(summary["OpenShardCount"], 2)
        self.assertEqual(summary["ConsumerCount"], 0)
        self.assertEqual(summary["RetentionPeriodHours"], 24)
        self.assertEqual(summary["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])
        self.assertEqual(summary.get("EncryptionType", "NONE"), "NONE")
        self.assertIn("StreamCreationTimestamp", summary)

    @aws_only("DescribeStream ignores Limit and ExclusiveStartShardId")
    def test_describe_stream_pages_with_limit_and_exclusive_start(self):
        name = self.new_stream(5)
        first = self.k.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
        self.assertEqual([s["ShardId"] for s in first["Shards"]],
                         ["shardId-000000000000", "shardId-000000000001"])
        self.assertTrue(first["HasMoreShards"])
        rest = self.k.describe_stream(StreamName=name, Limit=10,
                                      ExclusiveStartShardId="shardId-000000000001")
        rest = rest["StreamDescription"]
        self.assertEqual([s["ShardId"][-1] for s in rest["Shards"]], ["2", "3", "4"])
        self.assertFalse(rest["HasMoreShards"])
        pages = self.k.get_paginator("describe_stream").paginate(
            StreamName=name, PaginationConfig={"PageSize": 2})
        ids = [s["ShardId"] for p in pages for s in p["StreamDescription"]["Shards"]]
        self.assertEqual(ids, [f"shardId-{i:012d}" for i in range(5)])

    @aws_only("DescribeStream returns every shard")
    def test_describe_stream_returns_at_most_100_shards(self):
        name = self.new_stream(105)
        desc = self.k.describe_stream(StreamName=name)["StreamDescription"]
        self.assertEqual(len(desc["Shards"]), 100)
        self.assertTrue(desc["HasMoreShards"])
        self.assertEqual(len(self.k.list_shards(StreamName=name)["Shards"]), 105)
        self.assertEqual(self.k.describe_stream_summary(StreamName=name)
                         ["StreamDescriptionSummary"]["OpenShardCount"], 105)

    @aws_only("ListStreams has no StreamSummaries and no NextToken")
    @needs_model("ListStreams", "Output.StreamSummaries")
    def test_list_streams_summaries_and_next_token(self):
        names = {self.new_stream(1, prefix="ls") for _ in range(3)}
        seen, summaries, token, pages = [], {}, None, 0
        while True:
            kwargs = {"NextToken": token} if token else {}
            page = self.k.list_streams(Limit=1, **kwargs)
            pages += 1
            self.assertLessEqual(len(page["StreamNames"]), 1)
            seen += page["StreamNames"]
            for s in page["StreamSummaries"]:
                summaries[s["StreamName"]] = s
            token = page.get("NextToken")
            self.assertEqual(page["HasMoreStreams"], token is not None)
            if not token:
                break
            self.assertLess(pages, 500, "ListStreams pagination does not end")
        self.assertEqual(len(seen), len(set(seen)), "a stream was listed twice")
        self.assertLessEqual(names, set(seen))
        for name in names:
            s = summaries[name]
            self.assertEqual(s["StreamARN"], stream_arn(name))
            self.assertEqual(s["StreamStatus"], "ACTIVE")
            self.assertEqual(s["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
            self.assertIn("StreamCreationTimestamp", s)

    def test_list_streams_exclusive_start_stream_name(self):
        names = sorted(self.new_stream(1, prefix="lx") for _ in range(2))
        page = self.k.list_streams(ExclusiveStartStreamName=names[0], Limit=100)
        self.assertNotIn(names[0], page["StreamNames"])
        self.assertIn(names[1], page["StreamNames"])
        self.assertEqual(page["StreamNames"], sorted(page["StreamNames"]))
        one = self.k.list_streams(Limit=1)
        self.assertEqual(len(one["StreamNames"]), 1)
        self.assertTrue(one["HasMoreStreams"])

    def test_list_shards_exclusive_start_shard_id(self):
        name = self.new_stream(3)
        shards = self.k.list_shards(StreamName=name,
                                    ExclusiveStartShardId="shardId-000000000000")["Shards"]
        self.assertEqual([s["ShardId"] for s in shards],
                         ["shardId-000000000001", "shardId-000000000002"])

    @aws_only("ListShards ignores MaxResults/NextToken")
    def test_list_shards_pages_with_next_token(self):
        name = self.new_stream(5)
        page = self.k.list_shards(StreamName=name, MaxResults=2)
        ids = [s["ShardId"] for s in page["Shards"]]
        self.assertEqual(len(ids), 2)
        while "NextToken" in page:
            self.assertLess(len(ids), 6, "ListShards pagination does not end")
            page = self.k.list_shards(NextToken=page["NextToken"], MaxResults=2)
            ids += [s["ShardId"] for s in page["Shards"]]
        self.assertEqual(ids, [f"shardId-{i:012d}" for i in range(5)])

    def test_list_shards_rejects_next_token_with_stream_name(self):
        name = self.new_stream(1)
        with self.assertAwsError("InvalidArgumentException",
                                 "NextToken and StreamName cannot be provided together."):
            self.k.list_shards(StreamName=name, NextToken="AAAAAAAAAAGK9EEG")

    def test_delete_stream(self):
        name = self.new_stream(1)
        self.k.delete_stream(StreamName=name)
        wait_for_deletion(self.k, name)
        self.assertNotIn(name, self.k.list_streams(Limit=10000)["StreamNames"])
        with self.assertAwsError("ResourceNotFoundException", not_found(name)):
            self.k.describe_stream(StreamName=name)
        # The name can be used again.
        self.k.create_stream(StreamName=name, ShardCount=1)
        wait_for_status(self.k, name)

    @aws_only("no stream consumers")
    @needs_model("DeleteStream", "Input.EnforceConsumerDeletion")
    def test_delete_stream_with_consumer_needs_enforce_consumer_deletion(self):
        name = self.new_stream(1)
        self.k.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="c1")
        with self.assertAwsError("ResourceInUseException"):
            self.k.delete_stream(StreamName=name)
        self.k.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
        wait_for_deletion(self.k, name)

    @aws_only("StreamARN parameters are not accepted")
    @needs_model("DescribeStreamSummary", "Input.StreamARN")
    def test_stream_arn_instead_of_stream_name(self):
        name = self.new_stream(1)
        arn = stream_arn(name)
        summary = self.k.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
        self.assertEqual(summary["StreamName"], name)
        self.assertEqual(self.k.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"],
                         name)
        put = self.k.put_record(StreamARN=arn, PartitionKey="k", Data=b"by-arn")
        self.k.put_records(StreamARN=arn, Records=[{"PartitionKey": "k", "Data": b"by-arn-2"}])
        shard = self.k.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
        it = self.k.get_shard_iterator(StreamARN=arn, ShardId=shard,
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = self.k.get_records(ShardIterator=it, StreamARN=arn)["Records"]
        self.assertEqual([r["Data"] for r in got], [b"by-arn", b"by-arn-2"])
        self.assertEqual(got[0]["SequenceNumber"], put["SequenceNumber"])
        self.k.increase_stream_retention_period(StreamARN=arn, RetentionPeriodHours=48)
        wait_for_status(self.k, name)
        self.k.add_tags_to_stream(StreamARN=arn, Tags={"via": "arn"})
        self.assertEqual(self.k.list_tags_for_stream(StreamARN=arn)["Tags"],
                         [{"Key": "via", "Value": "arn"}])
        self.k.delete_stream(StreamARN=arn)
        wait_for_deletion(self.k, name)


    @aws_only("StreamARN parameters are not accepted")
    @needs_model("SplitShard", "Input.StreamARN")
    def test_stream_arn_for_resharding_and_settings(self):
        name = self.new_stream(2)
        arn = stream_arn(name)
        self.k.split_shard(StreamARN=arn, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**126))
        wait_for_status(self.k, name)
        self.k.merge_shards(StreamARN=arn, ShardToMerge="shardId-000000000002",
                            AdjacentShardToMerge="shardId-000000000003")
        wait_for_status(self.k, name)
        self.assertEqual(self.k.describe_stream_summary(StreamARN=arn)
                         ["StreamDescriptionSummary"]["OpenShardCount"], 2)
        out = self.k.enable_enhanced_monitoring(StreamARN=arn, ShardLevelMetrics=["ALL"])
        self.assertEqual(out["StreamARN"], arn)
        wait_for_status(self.k, name)
        self.k.disable_enhanced_monitoring(StreamARN=arn, ShardLevelMetrics=["ALL"])
        wait_for_status(self.k, name)
        self.k.start_stream_encryption(StreamARN=arn, EncryptionType="KMS", KeyId="alias/k")
        wait_for_status(self.k, name)
        self.k.stop_stream_encryption(StreamARN=arn, EncryptionType="KMS", KeyId="alias/k")
        wait_for_status(self.k, name)
        self.k.add_tags_to_stream(StreamARN=arn, Tags={"a": "1", "b": "2"})
        self.k.remove_tags_from_stream(StreamARN=arn, TagKeys=["a"])
        self.assertEqual(self.k.list_tags_for_stream(StreamName=name)["Tags"],
                         [{"Key": "b", "Value": "2"}])
        self.k.increase_stream_retention_period(StreamARN=arn, RetentionPeriodHours=30)
        wait_for_status(self.k, name)
        self.k.decrease_stream_retention_period(StreamARN=arn, RetentionPeriodHours=25)
        self.assertEqual(wait_for_status(self.k, name)["RetentionPeriodHours"], 25)
        with self.assertAwsError("ResourceNotFoundException",
                                 not_found(f"{name}-missing")):
            self.k.describe_stream_summary(StreamARN=stream_arn(f"{name}-missing"))


class StreamErrorsTest(KinesisTestCase):

    def test_missing_stream_is_not_found_everywhere(self):
        name = unique_name("missing")
        calls = [
            lambda: self.k.describe_stream(StreamName=name),
            lambda: self.k.describe_stream_summary(StreamName=name),
            lambda: self.k.delete_stream(StreamName=name),
            lambda: self.k.put_record(StreamName=name, PartitionKey="a", Data=b"x"),
            lambda: self.k.put_records(StreamName=name, Records=[{"PartitionKey": "a",
                                                                  "Data": b"x"}]),
            lambda: self.k.list_shards(StreamName=name),
            lambda: self.k.add_tags_to_stream(StreamName=name, Tags={"a": "b"}),
            lambda: self.k.list_tags_for_stream(StreamName=name),
            lambda: self.k.increase_stream_retention_period(StreamName=name,
                                                            RetentionPeriodHours=48),
        ]
        for i, call in enumerate(calls):
            with self.subTest(call=i), self.assertAwsError("ResourceNotFoundException",
                                                           not_found(name)):
                call()

    def test_create_existing_stream(self):
        name = self.new_stream(1)
        with self.assertAwsError("ResourceInUseException",
                                 f"Stream {name} under account {ACCOUNT} already exists."):
            self.k.create_stream(StreamName=name, ShardCount=1)

    def test_invalid_stream_name(self):
        with self.assertAwsError(
                "ValidationException",
                "1 validation error detected: Value 'x!' at 'streamName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"):
            self.k.create_stream(StreamName="x!", ShardCount=1)

    def test_stream_name_too_long(self):
        name = "n" * 129
        with self.assertAwsError(
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'streamName' failed to satisfy "
                "constraint: Member must have length less than or equal to 128"):
            self.k.describe_stream_summary(StreamName=name)

    def test_shard_limit(self):
        with self.assertAwsError("LimitExceededException") as caught:
            self.k.create_stream(StreamName=unique_name("huge"), ShardCount=100000)
        self.assertRegex(
            caught.exception.response["Error"]["Message"],
            rf"^This request would exceed the shard limit for the account {ACCOUNT} in "
            r"us-east-1\. Current shard count for the account: \d+\. Limit: \d+\. Number of "
            r"additional shards that would have resulted from this request: 100000\. Refer to "
            r"the AWS Service Limits page \(http://docs\.aws\.amazon\.com/general/latest/gr/"
            r"aws_service_limits\.html\) for current limits and how to request higher limits\.$")

    def test_shard_count_zero(self):
        # botocore refuses 0 client-side, so this goes over raw HTTP.
        resp = raw_call(self.server.endpoint, "CreateStream",
                        {"StreamName": unique_name("s"), "ShardCount": 0})
        self.assertRawError(resp, "ValidationException",
                            "1 validation error detected: Value '0' at 'shardCount' failed to "
                            "satisfy constraint: Member must have value greater than or equal to 1")

    def test_retention_period_changes_and_messages(self):
        name = self.new_stream(1)
        self.k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
        summary = wait_for_status(self.k, name)
        self.assertEqual(summary["RetentionPeriodHours"], 48)
        with self.assertAwsError(
                "InvalidArgumentException",
                "Minimum allowed retention period is 24 hours. Requested retention period "
                "(12 hours) is too short."):
            self.k.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=12)
        with self.assertAwsError(
                "InvalidArgumentException",
                f"Requested retention period (24 hours) for stream {name} can not be shorter "
                "than existing retention period (48 hours). Use DecreaseRetentionPeriod API."):
            self.k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
        with self.assertAwsError(
                "InvalidArgumentException",
                f"Requested retention period (72 hours) for stream {name} can not be longer "
                "than existing retention period (48 hours). Use IncreaseRetentionPeriod API."):
            self.k.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
        self.k.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
        self.assertEqual(wait_for_status(self.k, name)["RetentionPeriodHours"], 24)

    @aws_only("retention capped at 168 h by a ValidationException")
    def test_retention_period_up_to_one_year(self):
        name = self.new_stream(1)
        self.k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8760)
        self.assertEqual(wait_for_status(self.k, name)["RetentionPeriodHours"], 8760)
        with self.assertAwsError(
                "InvalidArgumentException",
                "Maximum allowed retention period is 8760 hours. Requested retention period "
                "(8761 hours) is too long."):
            self.k.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8761)


class TagsTest(KinesisTestCase):

    def test_add_list_remove_stream_tags(self):
        name = self.new_stream(1)
        self.k.add_tags_to_stream(StreamName=name,
                                  Tags={"team": "data", "env": "test", "cost": "42", "a": ""})
        self.k.add_tags_to_stream(StreamName=name, Tags={"env": "prod"})  # overwrites
        tags = self.k.list_tags_for_stream(StreamName=name)
        self.assertEqual(tags["Tags"], [{"Key": "a", "Value": ""}, {"Key": "cost", "Value": "42"},
                                        {"Key": "env", "Value": "prod"},
                                        {"Key": "team", "Value": "data"}])
        self.assertFalse(tags["HasMoreTags"])
        page = self.k.list_tags_for_stream(StreamName=name, Limit=2)
        self.assertEqual([t["Key"] for t in page["Tags"]], ["a", "cost"])
        self.assertTrue(page["HasMoreTags"])
        page = self.k.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey="cost")
        self.assertEqual([t["Key"] for t in page["Tags"]], ["env", "team"])
        self.assertFalse(page["HasMoreTags"])
        self.k.remove_tags_from_stream(StreamName=name, TagKeys=["a", "env", "nonexistent"])
        self.assertEqual(self.k.list_tags_for_stream(StreamName=name)["Tags"],
                         [{"Key": "cost", "Value": "42"}, {"Key": "team", "Value": "data"}])

    def test_more_than_fifty_tags_is_rejected(self):
        name = self.new_stream(1)
        for first in range(0, 50, 10):  # kinesalite takes at most 10 tags per call
            self.k.add_tags_to_stream(StreamName=name,
                                      Tags={f"k{i:02d}": "v" for i in range(first, first + 10)})
        with self.assertAwsError("InvalidArgumentException",
                                 contains=("cannot have more than",)):
            self.k.add_tags_to_stream(StreamName=name, Tags={"one-too-many": "v"})

    def test_invalid_tag_characters(self):
        name = self.new_stream(1)
        with self.assertAwsError(
                "InvalidArgumentException",
                "Some tags contain invalid characters. Valid characters: Unicode letters, "
                "digits, white space, _ . / = + - % @."):
            self.k.add_tags_to_stream(StreamName=name, Tags={"bad#key": "v"})

    @aws_only("CreateStream ignores Tags")
    @needs_model("CreateStream", "Input.Tags")
    def test_tags_given_at_creation(self):
        name = self.new_stream(1, Tags={"owner": "it"})
        self.assertEqual(self.k.list_tags_for_stream(StreamName=name)["Tags"],
                         [{"Key": "owner", "Value": "it"}])

    @aws_only("no TagResource/UntagResource/ListTagsForResource")
    @needs_model("TagResource")
    def test_tag_resource_by_arn(self):
        name = self.new_stream(1)
        arn = stream_arn(name)
        self.k.tag_resource(ResourceARN=arn, Tags={"x": "1", "y": "2"})
        self.assertEqual(sorted((t["Key"], t["Value"])
                                for t in self.k.list_tags_for_resource(ResourceARN=arn)["Tags"]),
                         [("x", "1"), ("y", "2")])
        # Both APIs see the same tags.
        self.assertEqual(len(self.k.list_tags_for_stream(StreamName=name)["Tags"]), 2)
        self.k.untag_resource(ResourceARN=arn, TagKeys=["x"])
        self.assertEqual(self.k.list_tags_for_resource(ResourceARN=arn)["Tags"],
                         [{"Key": "y", "Value": "2"}])
        with self.assertAwsError("ResourceNotFoundException"):
            self.k.list_tags_for_resource(ResourceARN=stream_arn(unique_name("missing")))


@aws_only("no stream consumers (enhanced fan-out)")
class ConsumersTest(KinesisTestCase):

    def wait_consumer(self, arn: str, status: str = "ACTIVE", timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            desc = self.k.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]
            if desc["ConsumerStatus"] == status:
                return desc
            time.sleep(0.05)
        raise AssertionError(f"consumer {arn} not {status} after {timeout} s")

    @needs_model("RegisterStreamConsumer", "Input.Tags")
    def test_register_describe_list_deregister(self):
        name = self.new_stream(1)
        sarn = stream_arn(name)
        reg = self.k.register_stream_consumer(StreamARN=sarn, ConsumerName="reader",
                                              Tags={"app": "it"})["Consumer"]
        self.assertEqual(reg["ConsumerName"], "reader")
        self.assertIn(reg["ConsumerStatus"], ("CREATING", "ACTIVE"))
        self.assertRegex(reg["ConsumerARN"],
                         rf"^{re.escape(sarn)}/consumer/reader:\d+$")
        self.assertIn("ConsumerCreationTimestamp", reg)
        carn = reg["ConsumerARN"]
        desc = self.wait_consumer(carn)
        self.assertEqual(desc["StreamARN"], sarn)
        by_name = self.k.describe_stream_consumer(StreamARN=sarn, ConsumerName="reader")
        self.assertEqual(by_name["ConsumerDescription"]["ConsumerARN"], carn)
        self.assertEqual(self.k.list_tags_for_resource(ResourceARN=carn)["Tags"],
                         [{"Key": "app", "Value": "it"}])
        summary = self.k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["ConsumerCount"], 1)
        with self.assertAwsError("ResourceInUseException"):
            self.k.register_stream_consumer(StreamARN=sarn, ConsumerName="reader")

        for extra in ("r2", "r3"):
            self.k.register_stream_consumer(StreamARN=sarn, ConsumerName=extra)
        page = self.k.list_stream_consumers(StreamARN=sarn, MaxResults=2)
        names = [c["ConsumerName"] for c in page["Consumers"]]
        self.assertEqual(len(names), 2)
        page = self.k.list_stream_consumers(StreamARN=sarn, NextToken=page["NextToken"])
        names += [c["ConsumerName"] for c in page["Consumers"]]
        self.assertNotIn("NextToken", page)
        self.assertEqual(sorted(names), ["r2", "r3", "reader"])

        self.k.deregister_stream_consumer(ConsumerARN=carn)
        self.k.deregister_stream_consumer(StreamARN=sarn, ConsumerName="r2")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            left = [c["ConsumerName"]
                    for c in self.k.list_stream_consumers(StreamARN=sarn)["Consumers"]]
            if left == ["r3"]:
                break
            time.sleep(0.05)
        self.assertEqual(left, ["r3"])
        with self.assertAwsError("ResourceNotFoundException"):
            self.k.describe_stream_consumer(ConsumerARN=carn)

    def test_at_most_20_consumers_per_stream(self):
        sarn = stream_arn(self.new_stream(1))
        for i in range(20):
            self.k.register_stream_consumer(StreamARN=sarn, ConsumerName=f"c{i:02d}")
        with self.assertAwsError("LimitExceededException"):
            self.k.register_stream_consumer(StreamARN=sarn, ConsumerName="c20")

    def test_consumer_of_missing_stream(self):
        with self.assertAwsError("ResourceNotFoundException"):
            self.k.register_stream_consumer(StreamARN=stream_arn(unique_name("missing")),
                                            ConsumerName="c")


@aws_only("operation not implemented (UnknownOperationException)")
class StreamSettingsTest(KinesisTestCase):
    """Enhanced monitoring, encryption, limits, account settings, record size, warm
    throughput, stream mode and resource policies."""

    ALL_METRICS = {"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                   "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                   "IteratorAgeMilliseconds"}

    def test_enhanced_monitoring(self):
        name = self.new_stream(1)
        out = self.k.enable_enhanced_monitoring(StreamName=name,
                                                ShardLevelMetrics=["IncomingBytes",
                                                                   "OutgoingRecords"])
        self.assertEqual(out["StreamName"], name)
        self.assertEqual(out["CurrentShardLevelMetrics"], [])
        self.assertEqual(set(out["DesiredShardLevelMetrics"]),
                         {"IncomingBytes", "OutgoingRecords"})
        wait_for_status(self.k, name)
        metrics = self.k.describe_stream(StreamName=name)["StreamDescription"]
        self.assertEqual(set(metrics["EnhancedMonitoring"][0]["ShardLevelMetrics"]),
                         {"IncomingBytes", "OutgoingRecords"})
        out = self.k.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
        self.assertEqual(set(out["DesiredShardLevelMetrics"]), self.ALL_METRICS)
        wait_for_status(self.k, name)
        out = self.k.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])
        self.assertEqual(out["DesiredShardLevelMetrics"], [])
        self.assertEqual(set(out["CurrentShardLevelMetrics"]), self.ALL_METRICS)
        wait_for_status(self.k, name)
        summary = self.k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])

    def test_stream_encryption(self):
        name = self.new_stream(1)
        self.k.start_stream_encryption(StreamName=name, EncryptionType="KMS",
                                       KeyId="alias/aws/kinesis")
        summary = wait_for_status(self.k, name)
        self.assertEqual(summary["EncryptionType"], "KMS")
        self.assertEqual(summary["KeyId"], "alias/aws/kinesis")
        put = self.put(name, "k", b"secret")
        self.assertEqual(put["EncryptionType"], "KMS")
        rec = self.k.get_records(ShardIterator=self.iterator(name))["Records"][0]
        self.assertEqual((rec["Data"], rec["EncryptionType"]), (b"secret", "KMS"))
        self.k.stop_stream_encryption(StreamName=name, EncryptionType="KMS",
                                      KeyId="alias/aws/kinesis")
        self.assertEqual(wait_for_status(self.k, name)["EncryptionType"], "NONE")

    def test_describe_limits(self):
        self.new_stream(2)
        limits = self.k.describe_limits()
        self.assertGreaterEqual(limits["OpenShardCount"], 2)
        self.assertGreaterEqual(limits["ShardLimit"], limits["OpenShardCount"])
        self.assertGreaterEqual(limits["OnDemandStreamCount"], 0)
        self.assertGreaterEqual(limits["OnDemandStreamCountLimit"], 1)

    @needs_model("UpdateAccountSettings")
    def test_account_settings(self):
        before = self.k.describe_account_settings()
        if "MinimumThroughputBillingCommitment" in before:
            self.assertIn(before["MinimumThroughputBillingCommitment"]["Status"],
                          ("ENABLED", "DISABLED", "ENABLED_UNTIL_EARLIEST_ALLOWED_END"))
        out = self.k.update_account_settings(
            MinimumThroughputBillingCommitment={"Status": "ENABLED"})
        self.assertEqual(out["MinimumThroughputBillingCommitment"]["Status"], "ENABLED")
        now = self.k.describe_account_settings()["MinimumThroughputBillingCommitment"]
        self.assertEqual(now["Status"], "ENABLED")
        out = self.k.update_account_settings(
            MinimumThroughputBillingCommitment={"Status": "DISABLED"})
        self.assertIn(out["MinimumThroughputBillingCommitment"]["Status"],
                      ("DISABLED", "ENABLED_UNTIL_EARLIEST_ALLOWED_END"))

    @needs_model("UpdateMaxRecordSize")
    def test_update_max_record_size(self):
        name = self.new_stream(1)
        summary = self.k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        self.assertEqual(summary.get("MaxRecordSizeInKiB", 1024), 1024)
        self.k.update_max_record_size(StreamARN=stream_arn(name), MaxRecordSizeInKiB=2048)
        self.assertEqual(wait_for_status(self.k, name)["MaxRecordSizeInKiB"], 2048)
        resp = raw_call(self.server.endpoint, "UpdateMaxRecordSize",
                        {"StreamARN": stream_arn(name), "MaxRecordSizeInKiB": 512})
        self.assertRawError(resp, "ValidationException")
        created = self.new_stream(1, MaxRecordSizeInKiB=4096)
        summary = self.k.describe_stream_summary(StreamName=created)["StreamDescriptionSummary"]
        self.assertEqual(summary["MaxRecordSizeInKiB"], 4096)

    @needs_model("UpdateStreamWarmThroughput")
    def test_update_stream_mode_and_warm_throughput(self):
        name = self.new_stream(2)
        arn = stream_arn(name)
        self.k.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        summary = wait_for_status(self.k, name)
        self.assertEqual(summary["StreamModeDetails"], {"StreamMode": "ON_DEMAND"})
        with self.assertAwsError("ValidationException"):
            self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                               NewStartingHashKey=str(2**126))
        out = self.k.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=10)
        self.assertEqual(out["StreamName"], name)
        self.assertEqual(out["StreamARN"], arn)
        self.assertEqual(out["WarmThroughput"]["TargetMiBps"], 10)
        summary = wait_for_status(self.k, name)
        self.assertEqual(summary["WarmThroughput"]["TargetMiBps"], 10)
        self.k.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
        summary = wait_for_status(self.k, name)
        self.assertEqual(summary["StreamModeDetails"], {"StreamMode": "PROVISIONED"})

    @needs_model("PutResourcePolicy")
    def test_resource_policy(self):
        name = self.new_stream(1)
        arn = stream_arn(name)
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "read", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["kinesis:GetRecords", "kinesis:GetShardIterator"], "Resource": arn}]})
        self.k.put_resource_policy(ResourceARN=arn, Policy=policy)
        got = self.k.get_resource_policy(ResourceARN=arn)["Policy"]
        self.assertEqual(json.loads(got), json.loads(policy))
        self.k.delete_resource_policy(ResourceARN=arn)
        try:
            after = self.k.get_resource_policy(ResourceARN=arn)["Policy"]
            self.assertIn(after, ("", "{}"))
        except self.k.exceptions.ResourceNotFoundException:
            pass
        with self.assertAwsError("ResourceNotFoundException"):
            self.k.put_resource_policy(ResourceARN=stream_arn(unique_name("missing")),
                                       Policy=policy)


# ============================================================================================
# Data plane


class DataPlaneTest(KinesisTestCase):

    def test_put_record_and_read_back_binary_data(self):
        name = self.new_stream(1)
        payloads = [bytes(range(256)), b"\x00\xff\x00", b"", "h\u00e9llo \u2603".encode()]
        puts = [self.put(name, f"pk{i}", p) for i, p in enumerate(payloads)]
        for p in puts:
            self.assertEqual(p["ShardId"], "shardId-000000000000")
            self.assertRegex(p["SequenceNumber"], r"^\d{1,129}$")
        self.assertEqual([seq(p) for p in puts], sorted(seq(p) for p in puts))
        resp = self.k.get_records(ShardIterator=self.iterator(name))
        self.assertEqual([r["Data"] for r in resp["Records"]], payloads)
        self.assertEqual([r["PartitionKey"] for r in resp["Records"]],
                         [f"pk{i}" for i in range(len(payloads))])
        self.assertEqual([r["SequenceNumber"] for r in resp["Records"]],
                         [p["SequenceNumber"] for p in puts])
        now = dt.datetime.now(dt.timezone.utc)
        for r in resp["Records"]:
            self.assertLess(abs((now - r["ApproximateArrivalTimestamp"]).total_seconds()), 60)
        self.assertIsInstance(resp["MillisBehindLatest"], int)
        self.assertGreaterEqual(resp["MillisBehindLatest"], 0)
        self.assertIn("NextShardIterator", resp)
        self.assertNotIn("ChildShards", resp)

    def test_explicit_hash_key_routes_to_owning_shard(self):
        name = self.new_stream(4)
        starts = [int(s["HashKeyRange"]["StartingHashKey"]) for s in self.shards(name)]
        cases = [(0, 0), (starts[1] - 1, 0), (starts[1], 1), (starts[2] + 5, 2), (MAX_HASH, 3)]
        for key, shard in cases:
            out = self.put(name, "ignored", ExplicitHashKey=str(key))
            self.assertEqual(out["ShardId"], f"shardId-{shard:012d}", f"hash key {key}")

    def test_partition_key_md5_routing(self):
        name = self.new_stream(3)
        ranges = [(int(s["HashKeyRange"]["StartingHashKey"]),
                   int(s["HashKeyRange"]["EndingHashKey"]), s["ShardId"])
                  for s in self.shards(name)]
        for key in ["a", "b", "f", "user-17", "\u00fcber", "x" * 256]:
            h = hash_key(key)
            want = next(sid for lo, hi, sid in ranges if lo <= h <= hi)
            self.assertEqual(self.put(name, key)["ShardId"], want, key)

    def test_invalid_explicit_hash_key(self):
        name = self.new_stream(1)
        with self.assertAwsError(
                "InvalidArgumentException",
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                f"Specified value was {2**128}"):
            self.put(name, "a", ExplicitHashKey=str(2**128))

    def test_sequence_number_for_ordering(self):
        name = self.new_stream(2)
        prev = self.put(name, "ordered", b"0")
        for i in range(1, 6):
            cur = self.put(name, "ordered", str(i).encode(),
                           SequenceNumberForOrdering=prev["SequenceNumber"])
            self.assertEqual(cur["ShardId"], prev["ShardId"])
            self.assertGreater(seq(cur), seq(prev))
            prev = cur

    def test_put_records_result_shape(self):
        name = self.new_stream(2)
        mid = int(self.shards(name)[1]["HashKeyRange"]["StartingHashKey"])
        entries = [{"PartitionKey": "a", "Data": b"0", "ExplicitHashKey": "0"},
                   {"PartitionKey": "a", "Data": b"1", "ExplicitHashKey": str(mid)},
                   {"PartitionKey": "a", "Data": b"2", "ExplicitHashKey": "1"},
                   {"PartitionKey": "b", "Data": b"3"}]
        out = self.k.put_records(StreamName=name, Records=entries)
        self.assertEqual(out["FailedRecordCount"], 0)
        self.assertEqual(len(out["Records"]), 4)
        self.assertEqual([r["ShardId"] for r in out["Records"][:3]],
                         ["shardId-000000000000", "shardId-000000000001",
                          "shardId-000000000000"])
        for r in out["Records"]:
            self.assertEqual(set(r), {"ShardId", "SequenceNumber"})
        self.assertLess(seq(out["Records"][0]), seq(out["Records"][2]))
        got = self.read(self.iterator(name), count=2)[0]
        self.assertEqual([r["Data"] for r in got][:2], [b"0", b"2"])

    def test_put_records_limits(self):
        name = self.new_stream(1)
        with self.assertAwsError("ValidationException", startswith="1 validation error detected: ",
                                 contains=("at 'records' failed to satisfy constraint: Member "
                                           "must have length less than or equal to 500",)):
            self.k.put_records(StreamName=name,
                               Records=[{"PartitionKey": "a", "Data": b"x"}] * 501)
        out = self.k.put_records(StreamName=name,
                                 Records=[{"PartitionKey": str(i), "Data": b"x"}
                                          for i in range(500)])
        self.assertEqual((out["FailedRecordCount"], len(out["Records"])), (0, 500))

    def test_partition_key_length(self):
        name = self.new_stream(1)
        self.put(name, "k" * 256)
        self.put(name, "\u00e9" * 256)  # the limit counts characters, not UTF-8 bytes
        key = "k" * 257
        with self.assertAwsError(
                "ValidationException",
                f"1 validation error detected: Value '{key}' at 'partitionKey' failed to "
                "satisfy constraint: Member must have length less than or equal to 256"):
            self.put(name, key)
        with self.assertAwsError(
                "ValidationException",
                f"1 validation error detected: Value '{key}' at 'records.2.member.partitionKey' "
                "failed to satisfy constraint: Member must have length less than or equal to 256"):
            self.k.put_records(StreamName=name, Records=[{"PartitionKey": "ok", "Data": b""},
                                                         {"PartitionKey": key, "Data": b""}])

    def test_all_five_iterator_types(self):
        name = self.new_stream(1)
        early = [self.put(name, "k", f"early{i}".encode()) for i in range(2)]
        boundary = dt.datetime.now(dt.timezone.utc)
        late = [self.put(name, "k", f"late{i}".encode()) for i in range(3)]
        every = early + late

        def data(records):
            return [r["Data"].decode() for r in records]

        trim = self.read(self.iterator(name), count=5)[0]
        self.assertEqual([r["SequenceNumber"] for r in trim],
                         [p["SequenceNumber"] for p in every])
        at = self.read(self.iterator(name, kind="AT_SEQUENCE_NUMBER",
                                     StartingSequenceNumber=every[2]["SequenceNumber"]),
                       count=3)[0]
        self.assertEqual(data(at), ["late0", "late1", "late2"])
        after = self.read(self.iterator(name, kind="AFTER_SEQUENCE_NUMBER",
                                        StartingSequenceNumber=every[2]["SequenceNumber"]),
                          count=2)[0]
        self.assertEqual(data(after), ["late1", "late2"])
        old = self.read(self.iterator(name, kind="AT_TIMESTAMP",
                                      Timestamp=boundary - dt.timedelta(days=3)), count=5)[0]
        self.assertEqual(len(old), 5)
        latest = self.iterator(name, kind="LATEST")
        self.assertEqual(self.k.get_records(ShardIterator=latest)["Records"], [])
        self.put(name, "k", b"newest")
        self.assertEqual(data(self.read(latest, count=1)[0]), ["newest"])

    @aws_only("AT_TIMESTAMP resolves to whole seconds")
    def test_at_timestamp_has_millisecond_precision(self):
        # "A time stamp is the Unix epoch date with precision in milliseconds" (API reference).
        # botocore serializes datetimes for this API as whole seconds, so the fractional
        # timestamp the Java and JS SDKs send is written as raw JSON here.
        name = self.new_stream(1)
        # Keep early records, boundary and late records within one wall-clock second, so that
        # a server that rounds timestamps to seconds fails every time, not now and then.
        deadline = time.monotonic() + 2
        while time.time() % 1 > 0.1 and time.monotonic() < deadline:
            time.sleep(0.01)
        for i in range(2):
            self.put(name, "k", f"early{i}".encode())
        time.sleep(0.25)
        boundary = round(time.time(), 3)
        time.sleep(0.25)
        for i in range(3):
            self.put(name, "k", f"late{i}".encode())

        def at(ts: float) -> str:
            resp = raw_call(self.server.endpoint, "GetShardIterator", {
                "StreamName": name, "ShardId": "shardId-000000000000",
                "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": ts})
            self.assertEqual(resp.status, 200, resp)
            return resp.json["ShardIterator"]

        got = self.read(at(boundary), count=3)[0]
        self.assertEqual([r["Data"] for r in got], [b"late0", b"late1", b"late2"])
        arrival = got[0]["ApproximateArrivalTimestamp"].timestamp()
        got = self.read(at(round(arrival, 3)), count=3)[0]
        self.assertEqual(got[0]["Data"], b"late0", "a record at exactly the timestamp is included")

    def test_concurrent_puts_are_all_stored_once_in_sequence_order(self):
        name = self.new_stream(1)
        results: dict[int, list[dict]] = {}

        def producer(n: int) -> None:
            client = boto3_client(self.server.endpoint)
            results[n] = [client.put_record(StreamName=name, PartitionKey=f"p{n}",
                                            Data=f"{n}/{i}".encode()) for i in range(40)]

        threads = [threading.Thread(target=producer, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(len(results), 8, "a producer failed")
        sent = [r for rs in results.values() for r in rs]
        self.assertEqual(len({r["SequenceNumber"] for r in sent}), 320, "duplicate sequence number")
        got = self.read(self.iterator(name), count=320)[0]
        self.assertEqual(sorted(r["SequenceNumber"] for r in got),
                         sorted(r["SequenceNumber"] for r in sent))
        self.assertEqual([seq(r) for r in got], sorted(seq(r) for r in got))
        for n, rs in results.items():
            self.assertEqual([seq(r) for r in rs], sorted(seq(r) for r in rs))
            self.assertEqual([r["Data"].decode() for r in got if r["PartitionKey"] == f"p{n}"],
                             [f"{n}/{i}" for i in range(40)])

    def test_get_records_returns_at_most_10000_records(self):
        name = self.new_stream(1)
        for _ in range(21):
            out = self.k.put_records(StreamName=name, Records=[
                {"PartitionKey": "k", "Data": b"r"}] * 500)
            self.assertEqual(out["FailedRecordCount"], 0)
        first = self.k.get_records(ShardIterator=self.iterator(name))
        self.assertLessEqual(len(first["Records"]), 10000)
        self.assertGreater(len(first["Records"]), 0)
        rest = self.read(first["NextShardIterator"], count=10500 - len(first["Records"]))[0]
        self.assertEqual(len(first["Records"]) + len(rest), 10500)

    def test_at_sequence_number_of_the_shards_starting_sequence_number(self):
        name = self.new_stream(1)
        start = self.shards(name)[0]["SequenceNumberRange"]["StartingSequenceNumber"]
        self.put(name, "k", b"first")
        got = self.read(self.iterator(name, kind="AT_SEQUENCE_NUMBER",
                                      StartingSequenceNumber=start), count=1)[0]
        self.assertEqual([r["Data"] for r in got], [b"first"])

    @aws_only("MillisBehindLatest is always 0 on open shards")
    def test_millis_behind_latest_while_records_remain(self):
        name = self.new_stream(1)
        for i in range(3):
            self.put(name, "k", str(i).encode())
        time.sleep(0.5)
        first = self.k.get_records(ShardIterator=self.iterator(name), Limit=1)
        self.assertEqual(len(first["Records"]), 1)
        self.assertGreater(first["MillisBehindLatest"], 0, "two more records are waiting")
        rest = self.read(first["NextShardIterator"], count=2)
        self.assertEqual(rest[1][-1]["MillisBehindLatest"], 0, "caught up")

    def test_get_records_limit_and_continuation(self):
        name = self.new_stream(1)
        for i in range(10):
            self.put(name, "k", str(i).encode())
        it, got = self.iterator(name), []
        for _ in range(4):
            resp = self.k.get_records(ShardIterator=it, Limit=3)
            self.assertLessEqual(len(resp["Records"]), 3)
            got += [int(r["Data"]) for r in resp["Records"]]
            it = resp["NextShardIterator"]
        self.assertEqual(got, list(range(10)))
        resp = self.k.get_records(ShardIterator=it)
        self.assertEqual(resp["Records"], [])
        self.assertEqual(resp["MillisBehindLatest"], 0)

    def test_empty_read_still_returns_next_iterator(self):
        name = self.new_stream(1)
        first = self.iterator(name)
        self.assertTrue(0 < len(first) <= 512, first)
        resp = self.k.get_records(ShardIterator=first)
        self.assertEqual(resp["Records"], [])
        self.assertEqual(resp["MillisBehindLatest"], 0)
        nxt = resp["NextShardIterator"]
        self.assertTrue(0 < len(nxt) <= 512, nxt)
        # A fresh iterator every call: consumers that keep the old one hit its 5-minute expiry.
        self.assertNotEqual(nxt, first)
        self.put(name, "k", b"later")
        self.assertEqual([r["Data"] for r in self.read(nxt, count=1)[0]], [b"later"])

    def test_get_shard_iterator_errors(self):
        name = self.new_stream(2)
        rule = ("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                "StartingSequenceNumber. Request specified ")
        with self.assertAwsError("InvalidArgumentException",
                                 rule + "AT_SEQUENCE_NUMBER and no StartingSequenceNumber."):
            self.iterator(name, kind="AT_SEQUENCE_NUMBER")
        with self.assertAwsError("InvalidArgumentException",
                                 rule + "TRIM_HORIZON and also a StartingSequenceNumber."):
            self.iterator(name, kind="TRIM_HORIZON", StartingSequenceNumber="1")
        with self.assertAwsError("ValidationException",
                                 startswith="1 validation error detected: Value 'FOO' at "
                                            "'shardIteratorType' failed to satisfy constraint: "
                                            "Member must satisfy enum value set: [",
                                 contains=("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
                                           "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")):
            self.iterator(name, kind="FOO")
        with self.assertAwsError(
                "ResourceNotFoundException",
                f"Shard shardId-000000000007 in stream {name} under account {ACCOUNT} "
                "does not exist"):
            self.iterator(name, shard_id="shardId-000000000007")
        with self.assertAwsError("InvalidArgumentException",
                                 startswith="The timestampInMillis parameter cannot be greater "
                                            "than the currentTimestampInMillis."):
            self.iterator(name, kind="AT_TIMESTAMP",
                          Timestamp=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
        other = self.put(name, "k", ExplicitHashKey=str(MAX_HASH))
        self.assertEqual(other["ShardId"], "shardId-000000000001")
        with self.assertAwsError(
                "InvalidArgumentException",
                "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was "
                "used in a call to a shard with shardId-000000000000"):
            self.iterator(name, kind="AT_SEQUENCE_NUMBER",
                          StartingSequenceNumber=other["SequenceNumber"])

    def test_invalid_shard_iterator(self):
        forged = base64.b64encode(bytes(8 * [0]) + bytes([1]) + os.urandom(151)).decode()
        for it in ("not-an-iterator", forged):
            with self.subTest(iterator=it[:20]), self.assertAwsError("InvalidArgumentException",
                                                                     "Invalid ShardIterator."):
                self.k.get_records(ShardIterator=it)


class RecordSizeTest(KinesisTestCase):

    def assert_too_large(self, call, path: str) -> None:
        """Rejected as a whole request. Since the 2025 model raised Data's limit to 10 MiB, the
        1 MiB default is a per-stream rule whose error AWS does not document: accept the
        historical Coral ValidationException (exact text) or an InvalidArgumentException."""
        from botocore.exceptions import ClientError

        with self.assertRaises(ClientError) as caught:
            call()
        err = caught.exception.response["Error"]
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertIn(err["Code"], ("ValidationException", "InvalidArgumentException"), err)
        self.assertTrue(err.get("Message"), err)
        if err["Code"] == "ValidationException":
            self.assertIn(f"at '{path}' failed to satisfy constraint: Member must have length "
                          "less than or equal to 1048576", err["Message"])

    def test_one_mebibyte_record_is_the_default_limit(self):
        name = self.new_stream(1)
        big = os.urandom(MIB)
        self.put(name, "big", big)
        got = self.k.get_records(ShardIterator=self.iterator(name))["Records"]
        self.assertEqual(got[0]["Data"], big)
        self.assert_too_large(lambda: self.put(name, "big", big + b"!"), "data")
        self.assert_too_large(
            lambda: self.k.put_records(StreamName=name, Records=[
                {"PartitionKey": "a", "Data": b"x"}, {"PartitionKey": "a", "Data": big + b"!"}]),
            "records.2.member.data")
        self.assertEqual(len(self.read(self.iterator(name))[0]), 1, "a rejected record was kept")

    @aws_only("records are limited to 1 MiB; no UpdateMaxRecordSize")
    @needs_model("UpdateMaxRecordSize")
    def test_records_up_to_ten_mebibytes_after_update_max_record_size(self):
        name = self.new_stream(1)
        self.k.update_max_record_size(StreamARN=stream_arn(name), MaxRecordSizeInKiB=10240)
        wait_for_status(self.k, name)
        huge = os.urandom(10 * MIB)
        self.put(name, "huge", huge)
        got = self.k.get_records(ShardIterator=self.iterator(name))["Records"]
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["Data"], huge)
        with self.assertAwsError("ValidationException"):
            self.put(name, "huge", huge + b"!")


# ============================================================================================
# Resharding


class ReshardingTest(KinesisTestCase):

    def read_closed(self, name: str, shard_id: str) -> tuple[list[dict], dict]:
        records, responses = self.read(self.iterator(name, shard_id), to_end=True)
        return records, responses[-1]

    def test_split_shard_reads_parent_then_children_in_key_order(self):
        name = self.new_stream(1)
        keys = [f"key-{i}" for i in range(8)]
        sent = {k: [] for k in keys}
        for round_ in range(3):
            for k in keys:
                sent[k].append(self.put(name, k, f"{k}/{round_}".encode()))
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**127))
        wait_for_status(self.k, name)
        shards = {s["ShardId"]: s for s in self.k.describe_stream(StreamName=name)
                  ["StreamDescription"]["Shards"]}
        self.assertEqual(sorted(shards), [f"shardId-{i:012d}" for i in range(3)])
        parent = shards["shardId-000000000000"]
        self.assertIn("EndingSequenceNumber", parent["SequenceNumberRange"])
        c1, c2 = shards["shardId-000000000001"], shards["shardId-000000000002"]
        self.assertEqual((c1["ParentShardId"], c2["ParentShardId"]), (parent["ShardId"],) * 2)
        self.assertEqual(hash_range(c1), ("0", str(2**127 - 1)))
        self.assertEqual(hash_range(c2), (str(2**127), str(MAX_HASH)))
        for round_ in range(3, 5):
            for k in keys:
                out = self.put(name, k, f"{k}/{round_}".encode())
                want = c1 if hash_key(k) < 2**127 else c2
                self.assertEqual(out["ShardId"], want["ShardId"])
                sent[k].append(out)

        parent_records, last = self.read_closed(name, parent["ShardId"])
        self.assertEqual(len(parent_records), 3 * len(keys))
        self.assertNotIn("NextShardIterator", last)
        if not on_kinesalite():  # kinesalite predates ChildShards
            self.assertEqual(
                sorted((c["ShardId"], tuple(c["ParentShards"]), hash_range(c))
                       for c in last["ChildShards"]),
                [(c1["ShardId"], (parent["ShardId"],), hash_range(c1)),
                 (c2["ShardId"], (parent["ShardId"],), hash_range(c2))])
        top = max(seq(r) for r in parent_records)
        child_records = []
        for child in (c1, c2):
            recs = self.read(self.iterator(name, child["ShardId"]))[0]
            child_records += recs
            for r in recs:
                self.assertGreater(seq(r), top, "child sequence number not above parent's")
        self.assertEqual(len(child_records), 2 * len(keys))
        for k in keys:
            got = [r["Data"].decode() for r in parent_records + child_records
                   if r["PartitionKey"] == k]
            self.assertEqual(got, [f"{k}/{i}" for i in range(5)], k)

    @aws_only("no ChildShards")
    def test_latest_iterator_on_closed_shard_is_at_its_end(self):
        name = self.new_stream(1)
        self.put(name, "k", b"before-split")
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**127))
        wait_for_status(self.k, name)
        records, responses = self.read(self.iterator(name, kind="LATEST"), to_end=True)
        self.assertEqual(records, [])
        self.assertNotIn("NextShardIterator", responses[-1])
        self.assertEqual(sorted(c["ShardId"] for c in responses[-1]["ChildShards"]),
                         ["shardId-000000000001", "shardId-000000000002"])

    def test_split_errors(self):
        name = self.new_stream(1)
        with self.assertAwsError(
                "InvalidArgumentException",
                f"NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in "
                f"stream {name} under account {ACCOUNT} is not both greater than one plus the "
                f"shard's StartingHashKey 0 and less than the shard's EndingHashKey {MAX_HASH}."):
            self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                               NewStartingHashKey="1")
        with self.assertAwsError(
                "ResourceNotFoundException",
                f"Could not find shard shardId-000000000009 in stream {name} under account "
                f"{ACCOUNT}."):
            self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000009",
                               NewStartingHashKey=str(2**127))

    @aws_only("kinesalite lets a closed shard be split again (kinesalite#109)")
    def test_split_closed_shard_is_rejected(self):
        name = self.new_stream(1)
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**127))
        wait_for_status(self.k, name)
        with self.assertAwsError(
                "InvalidArgumentException",
                f"Shard shardId-000000000000 in stream {name} under account {ACCOUNT} has "
                "already been merged or split, and thus is not eligible for merging or "
                "splitting."):
            self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                               NewStartingHashKey=str(2**126))

    def test_merge_shards(self):
        name = self.new_stream(3)
        s0, s1, _ = self.shards(name)
        before = [self.put(name, "m", b"before", ExplicitHashKey=hash_range(s)[0])
                  for s in (s0, s1)]
        self.k.merge_shards(StreamName=name, ShardToMerge=s0["ShardId"],
                            AdjacentShardToMerge=s1["ShardId"])
        wait_for_status(self.k, name)
        shards = {s["ShardId"]: s for s in self.shards(name)}
        child = shards["shardId-000000000003"]
        self.assertEqual(child["ParentShardId"], s0["ShardId"])
        self.assertEqual(child["AdjacentParentShardId"], s1["ShardId"])
        self.assertEqual(hash_range(child), ("0", hash_range(s1)[1]))
        for sid in (s0["ShardId"], s1["ShardId"]):
            self.assertIn("EndingSequenceNumber", shards[sid]["SequenceNumberRange"])
        after = self.put(name, "m", b"after", ExplicitHashKey="0")
        self.assertEqual(after["ShardId"], child["ShardId"])
        self.assertGreater(seq(after), max(seq(b) for b in before))
        for parent, put in zip((s0, s1), before):
            records, last = self.read_closed(name, parent["ShardId"])
            self.assertEqual([r["SequenceNumber"] for r in records], [put["SequenceNumber"]])
            if not on_kinesalite():
                self.assertEqual([(c["ShardId"], sorted(c["ParentShards"]))
                                  for c in last["ChildShards"]],
                                 [(child["ShardId"], [s0["ShardId"], s1["ShardId"]])])

    @aws_only("no ChildShards")
    def test_consumer_follows_child_shards_across_split_and_merge(self):
        name = self.new_stream(1)
        keys = [f"lineage-{i}" for i in range(6)]
        sent = {k: [] for k in keys}

        def put_round(tag: str) -> None:
            for k in keys:
                self.put(name, k, f"{k}/{tag}".encode())
                sent[k].append(f"{k}/{tag}")

        put_round("gen0")
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**127))
        wait_for_status(self.k, name)
        put_round("gen1")
        self.k.merge_shards(StreamName=name, ShardToMerge="shardId-000000000001",
                            AdjacentShardToMerge="shardId-000000000002")
        wait_for_status(self.k, name)
        put_round("gen2")

        # A KCL-like walk: start at shard 0; a child is read once all its parents are done.
        closed = {s["ShardId"] for s in self.shards(name)
                  if "EndingSequenceNumber" in s["SequenceNumberRange"]}
        done, got, pending, parents = set(), [], ["shardId-000000000000"], {}
        while pending:
            shard = pending.pop(0)
            records, responses = self.read(self.iterator(name, shard), to_end=shard in closed)
            got += records
            done.add(shard)
            for child in responses[-1].get("ChildShards", []):
                parents[child["ShardId"]] = set(child["ParentShards"])
                if parents[child["ShardId"]] <= done and child["ShardId"] not in pending:
                    pending.append(child["ShardId"])
        self.assertEqual(done, {f"shardId-{i:012d}" for i in range(4)})
        self.assertEqual(parents["shardId-000000000003"],
                         {"shardId-000000000001", "shardId-000000000002"})
        for k in keys:
            self.assertEqual([r["Data"].decode() for r in got if r["PartitionKey"] == k],
                             sent[k], k)

    def test_merge_non_adjacent_shards(self):
        name = self.new_stream(3)
        with self.assertAwsError(
                "InvalidArgumentException",
                f"Shards shardId-000000000000 and shardId-000000000002 in stream {name} under "
                f"account {ACCOUNT} are not an adjacent pair of shards eligible for merging"):
            self.k.merge_shards(StreamName=name, ShardToMerge="shardId-000000000000",
                                AdjacentShardToMerge="shardId-000000000002")

    @aws_only("UpdateShardCount not implemented")
    @needs_model("UpdateShardCount", "Input.StreamARN")
    def test_update_shard_count(self):
        name = self.new_stream(2)
        for k in ("p", "q", "r"):
            self.put(name, k, b"old")
        out = self.k.update_shard_count(StreamName=name, TargetShardCount=4,
                                        ScalingType="UNIFORM_SCALING")
        self.assertEqual((out["StreamName"], out["CurrentShardCount"], out["TargetShardCount"]),
                         (name, 2, 4))
        self.assertEqual(out["StreamARN"], stream_arn(name))
        summary = wait_for_status(self.k, name)
        self.assertEqual(summary["OpenShardCount"], 4)
        shards = self.shards(name)
        open_ = sorted(((int(s["HashKeyRange"]["StartingHashKey"]),
                         int(s["HashKeyRange"]["EndingHashKey"]))
                        for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]))
        self.assertEqual(open_[0][0], 0)
        self.assertEqual(open_[-1][1], MAX_HASH)
        for (_, hi), (lo, _) in zip(open_, open_[1:]):
            self.assertEqual(lo, hi + 1, "open shards must tile the hash key space")
        old = [r for s in shards if "EndingSequenceNumber" in s["SequenceNumberRange"]
               for r in self.read(self.iterator(name, s["ShardId"]), to_end=True)[0]]
        self.assertEqual(sorted(r["PartitionKey"] for r in old), ["p", "q", "r"])
        self.k.update_shard_count(StreamARN=stream_arn(name), TargetShardCount=2,
                                  ScalingType="UNIFORM_SCALING")
        self.assertEqual(wait_for_status(self.k, name)["OpenShardCount"], 2)
        with self.assertRaises(self.k.exceptions.ClientError) as caught:
            self.k.update_shard_count(StreamName=name, TargetShardCount=5,
                                      ScalingType="UNIFORM_SCALING")
        self.assertIn(caught.exception.response["Error"]["Code"],
                      ("InvalidArgumentException", "LimitExceededException"))

    @aws_only("ListShards ignores ShardFilter")
    def test_list_shards_filters(self):
        name = self.new_stream(2)
        time.sleep(1.1)
        before_split = dt.datetime.now(dt.timezone.utc)
        time.sleep(1.1)
        self.k.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                           NewStartingHashKey=str(2**126))
        wait_for_status(self.k, name)
        time.sleep(1.1)
        after_split = dt.datetime.now(dt.timezone.utc)

        def ids(**shard_filter):
            shards = self.k.list_shards(StreamName=name, ShardFilter=shard_filter)["Shards"]
            return [int(s["ShardId"][-1]) for s in shards]

        self.assertEqual(ids(Type="FROM_TRIM_HORIZON"), [0, 1, 2, 3])
        self.assertEqual(ids(Type="AT_TRIM_HORIZON"), [0, 1])
        self.assertEqual(ids(Type="AT_LATEST"), [1, 2, 3])
        self.assertEqual(ids(Type="AFTER_SHARD_ID", ShardId="shardId-000000000001"), [2, 3])
        self.assertEqual(ids(Type="AT_TIMESTAMP", Timestamp=before_split), [0, 1])
        self.assertEqual(ids(Type="AT_TIMESTAMP", Timestamp=after_split), [1, 2, 3])
        self.assertEqual(ids(Type="FROM_TIMESTAMP", Timestamp=before_split), [0, 1, 2, 3])
        self.assertEqual(ids(Type="FROM_TIMESTAMP", Timestamp=after_split), [1, 2, 3])
        self.assertEqual([s["ShardId"] for s in self.shards(name)],
                         [f"shardId-{i:012d}" for i in range(4)])


class SuiteCompletenessTest(unittest.TestCase):
    """Fails when botocore gains an operation that this file never calls."""

    def test_every_operation_is_exercised(self):
        import botocore.session
        from botocore import xform_name

        model = botocore.session.get_session().get_service_model("kinesis")
        here = Path(__file__).resolve().parent
        source = "".join((here / f).read_text()
                         for f in ("test_boto3.py", "test_boto3_operational.py"))
        missing = [op for op in model.operation_names
                   if op != "SubscribeToShard" and f".{xform_name(op)}(" not in source]
        self.assertEqual(missing, [])


if __name__ == "__main__":
    unittest.main()
