// Stream and account settings handlers: monitoring, encryption, limits, account settings, max record size, warm throughput, stream mode, resource policies.
#include "collector/api/handlers_test_fixture.h"

namespace tributary::collector::api {
namespace {

// ------------------------------------------------------------------------------------------
// Enhanced monitoring and encryption

TEST_F(MetaHandlersTest, EnableMonitoringReportsMetricsBeforeAndAfter) {
    create("s");
    auto out =
        ok(h::enable_enhanced_monitoring,
           {{"StreamName", "s"}, {"ShardLevelMetrics", {"OutgoingRecords", "IncomingBytes"}}});
    EXPECT_EQ(out, json({{"StreamName", "s"},
                         {"StreamARN", arn("s")},
                         {"CurrentShardLevelMetrics", json::array()},
                         {"DesiredShardLevelMetrics", {"IncomingBytes", "OutgoingRecords"}}}));
    out = ok(h::enable_enhanced_monitoring,
             {{"StreamARN", arn("s")}, {"ShardLevelMetrics", {"IncomingRecords"}}});
    EXPECT_EQ(out["CurrentShardLevelMetrics"], json({"IncomingBytes", "OutgoingRecords"}));
    EXPECT_EQ(out["DesiredShardLevelMetrics"],
              json({"IncomingBytes", "IncomingRecords", "OutgoingRecords"}));
    EXPECT_EQ(store_->find("s")->shard_level_metrics.size(), 3u);
}

TEST_F(MetaHandlersTest, AllStandsForTheSevenMetrics) {
    create("s");
    auto out =
        ok(h::enable_enhanced_monitoring, {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
    EXPECT_EQ(out["DesiredShardLevelMetrics"],
              json({"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                    "IteratorAgeMilliseconds"}));
    out = ok(h::disable_enhanced_monitoring, {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
    EXPECT_EQ(out["CurrentShardLevelMetrics"].size(), 7u);
    EXPECT_EQ(out["DesiredShardLevelMetrics"], json::array());
}

TEST_F(MetaHandlersTest, DisableMonitoringRemovesOnlyTheNamedMetrics) {
    create("s");
    ok(h::enable_enhanced_monitoring,
       {{"StreamName", "s"}, {"ShardLevelMetrics", {"IncomingBytes", "OutgoingBytes"}}});
    auto out = ok(h::disable_enhanced_monitoring,
                  {{"StreamName", "s"}, {"ShardLevelMetrics", {"OutgoingBytes"}}});
    EXPECT_EQ(out["DesiredShardLevelMetrics"], json({"IncomingBytes"}));
}

TEST_F(MetaHandlersTest, UnknownMetricFailsEnumValidation) {
    create("s");
    expect_error(call(h::enable_enhanced_monitoring,
                      {{"StreamName", "s"}, {"ShardLevelMetrics", {"Bogus"}}}),
                 "ValidationException",
                 "1 validation error detected: Value '[Bogus]' at 'shardLevelMetrics' failed to "
                 "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum "
                 "value set: [IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
                 "WriteProvisionedThroughputExceeded, ReadProvisionedThroughputExceeded, "
                 "IteratorAgeMilliseconds, ALL]]");
}

TEST_F(MetaHandlersTest, MetricListMustHaveOneToSevenEntries) {
    create("s");
    expect_error(call(h::enable_enhanced_monitoring,
                      {{"StreamName", "s"}, {"ShardLevelMetrics", json::array()}}),
                 "ValidationException",
                 "1 validation error detected: Value '[]' at 'shardLevelMetrics' failed to "
                 "satisfy constraint: Member must have length greater than or equal to 1");
    expect_error(call(h::enable_enhanced_monitoring, {{"StreamName", "s"}}), "ValidationException",
                 "1 validation error detected: Value null at 'shardLevelMetrics' failed to "
                 "satisfy constraint: Member must not be null");
}

TEST_F(MetaHandlersTest, StartAndStopEncryptionChangeTheStreamsEncryption) {
    create("s");
    ok(h::start_stream_encryption,
       {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "alias/aws/kinesis"}});
    EXPECT_EQ(store_->find("s")->encryption_type, "KMS");
    EXPECT_EQ(store_->find("s")->key_id, "alias/aws/kinesis");
    ok(h::stop_stream_encryption,
       {{"StreamARN", arn("s")}, {"EncryptionType", "KMS"}, {"KeyId", "alias/aws/kinesis"}});
    EXPECT_EQ(store_->find("s")->encryption_type, "NONE");
    EXPECT_EQ(store_->find("s")->key_id, "");
}

TEST_F(MetaHandlersTest, EncryptionTypeNoneIsInvalidArgument) {
    create("s");
    expect_error(call(h::start_stream_encryption,
                      {{"StreamName", "s"}, {"EncryptionType", "NONE"}, {"KeyId", "k"}}),
                 "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, EncryptionNeedsTypeAndKeyId) {
    create("s");
    expect_error(call(h::start_stream_encryption, {{"StreamName", "s"}, {"EncryptionType", "AES"}}),
                 "ValidationException",
                 "2 validation errors detected: Value 'AES' at 'encryptionType' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [NONE, KMS]; Value "
                 "null at 'keyId' failed to satisfy constraint: Member must not be null");
}

TEST_F(MetaHandlersTest, EncryptionOfAMissingStreamIsNotFound) {
    expect_error(call(h::start_stream_encryption,
                      {{"StreamName", "nope"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}}),
                 "ResourceNotFoundException", "Stream nope under account 000000000000 not found.");
}

TEST_F(MetaHandlersTest, WithAStatusDelayAChangeLeavesTheStreamUpdatingForAWhile) {
    status_delay_ms_ = 500;
    open();
    create("s");
    ok(h::enable_enhanced_monitoring, {{"StreamName", "s"}, {"ShardLevelMetrics", {"ALL"}}});
    EXPECT_EQ(store_->find("s")->status, store::StreamStatus::updating);
    expect_error(call(h::start_stream_encryption,
                      {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}}),
                 "ResourceInUseException",
                 "Stream s under account 000000000000 not ACTIVE, instead in state UPDATING");
    settle();
    EXPECT_EQ(store_->find("s")->status, store::StreamStatus::active);
    ok(h::start_stream_encryption,
       {{"StreamName", "s"}, {"EncryptionType", "KMS"}, {"KeyId", "k"}});
}

// ------------------------------------------------------------------------------------------
// Limits and account settings

TEST_F(MetaHandlersTest, DescribeLimitsCountsOpenShardsAndOnDemandStreams) {
    create("a", 2);
    create("b", 3, true);
    EXPECT_EQ(ok(h::describe_limits, json::object()), json({{"ShardLimit", 500},
                                                            {"OpenShardCount", 5},
                                                            {"OnDemandStreamCount", 1},
                                                            {"OnDemandStreamCountLimit", 50}}));
}

TEST_F(MetaHandlersTest, TheBillingCommitmentStartsDisabled) {
    EXPECT_EQ(ok(h::describe_account_settings, json::object()),
              json({{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}}));
}

TEST_F(MetaHandlersTest, EnablingTheCommitmentStartsItsTwentyFourHourWindow) {
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    json want = {{"MinimumThroughputBillingCommitment",
                  {{"Status", "ENABLED"},
                   {"StartedAt", kStart},
                   {"EarliestAllowedEndAt", kStart + 24 * 1000}}}};
    EXPECT_EQ(out, want);
    EXPECT_EQ(ok(h::describe_account_settings, json::object()), want);
}

TEST_F(MetaHandlersTest, DisablingWithinTheWindowSchedulesTheEnd) {
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    now_ += 1000;
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}});
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["Status"],
              "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
    now_ = kStart + 24 * 1000;
    out = ok(h::describe_account_settings, json::object());
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"],
              json({{"Status", "DISABLED"},
                    {"StartedAt", kStart},
                    {"EndedAt", kStart + 24 * 1000},
                    {"EarliestAllowedEndAt", kStart + 24 * 1000}}));
}

TEST_F(MetaHandlersTest, DisablingAfterTheWindowEndsTheCommitmentAtOnce) {
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    now_ += 30 * 1000;
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}});
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["Status"], "DISABLED");
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["EndedAt"], now_);
}

TEST_F(MetaHandlersTest, EnablingAgainCancelsAScheduledEnd) {
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    ok(h::update_account_settings,
       {{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}});
    auto out = ok(h::update_account_settings,
                  {{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["Status"], "ENABLED");
    EXPECT_EQ(out["MinimumThroughputBillingCommitment"]["StartedAt"], kStart);
    now_ += 100 * 1000;
    EXPECT_EQ(ok(h::describe_account_settings,
                 json::object())["MinimumThroughputBillingCommitment"]["Status"],
              "ENABLED");
}

TEST_F(MetaHandlersTest, UpdateAccountSettingsValidatesTheStatus) {
    expect_error(call(h::update_account_settings, json::object()), "ValidationException",
                 "1 validation error detected: Value null at 'minimumThroughputBillingCommitment' "
                 "failed to satisfy constraint: Member must not be null");
    expect_error(
        call(h::update_account_settings, {{"MinimumThroughputBillingCommitment",
                                           {{"Status", "ENABLED_UNTIL_EARLIEST_ALLOWED_END"}}}}),
        "ValidationException",
        "1 validation error detected: Value 'ENABLED_UNTIL_EARLIEST_ALLOWED_END' at "
        "'minimumThroughputBillingCommitment.status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ENABLED, DISABLED]");
}

// ------------------------------------------------------------------------------------------
// Record size, warm throughput, capacity mode

TEST_F(MetaHandlersTest, UpdateMaxRecordSizeStoresTheNewSize) {
    create("s");
    ok(h::update_max_record_size, {{"StreamARN", arn("s")}, {"MaxRecordSizeInKiB", 2048}});
    EXPECT_EQ(store_->find("s")->max_record_kib, 2048);
}

TEST_F(MetaHandlersTest, MaxRecordSizeOutsideItsRangeIsValidationException) {
    create("s");
    expect_error(
        call(h::update_max_record_size, {{"StreamARN", arn("s")}, {"MaxRecordSizeInKiB", 512}}),
        "ValidationException",
        "1 validation error detected: Value '512' at 'maxRecordSizeInKiB' failed to "
        "satisfy constraint: Member must have value greater than or equal to 1024");
    expect_error(
        call(h::update_max_record_size, {{"StreamARN", arn("s")}, {"MaxRecordSizeInKiB", 10241}}),
        "ValidationException");
}

TEST_F(MetaHandlersTest, WarmThroughputOnAProvisionedStreamIsInvalidArgument) {
    create("s");
    expect_error(
        call(h::update_stream_warm_throughput, {{"StreamName", "s"}, {"WarmThroughputMiBps", 10}}),
        "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, WarmThroughputOnAnOnDemandStreamReturnsTheTarget) {
    create("s", 4, true);
    auto out =
        ok(h::update_stream_warm_throughput, {{"StreamName", "s"}, {"WarmThroughputMiBps", 10}});
    EXPECT_EQ(out, json({{"StreamARN", arn("s")},
                         {"StreamName", "s"},
                         {"WarmThroughput", {{"TargetMiBps", 10}, {"CurrentMiBps", 10}}}}));
    EXPECT_EQ(store_->find("s")->warm_throughput_mibps, 10);
}

TEST_F(MetaHandlersTest, NegativeWarmThroughputFailsValidation) {
    create("s", 4, true);
    expect_error(
        call(h::update_stream_warm_throughput, {{"StreamName", "s"}, {"WarmThroughputMiBps", -1}}),
        "ValidationException",
        "1 validation error detected: Value '-1' at 'warmThroughputMiBps' failed to "
        "satisfy constraint: Member must have value greater than or equal to 0");
}

TEST_F(MetaHandlersTest, UpdateStreamModeSwitchesBetweenModes) {
    create("s", 2);
    ok(h::update_stream_mode, {{"StreamARN", arn("s")},
                               {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}},
                               {"WarmThroughputMiBps", 20}});
    EXPECT_TRUE(store_->find("s")->on_demand);
    EXPECT_EQ(store_->find("s")->warm_throughput_mibps, 20);
    ok(h::update_stream_mode,
       {{"StreamARN", arn("s")}, {"StreamModeDetails", {{"StreamMode", "PROVISIONED"}}}});
    EXPECT_FALSE(store_->find("s")->on_demand);
    EXPECT_EQ(store_->find("s")->warm_throughput_mibps, 0);
    EXPECT_EQ(store_->find("s")->open_shard_count(), 2u);
}

TEST_F(MetaHandlersTest, SwitchingPastTheOnDemandStreamQuotaIsLimitExceeded) {
    on_demand_limit_ = 1;
    open();
    create("a", 1, true);
    create("b");
    expect_error(
        call(h::update_stream_mode,
             {{"StreamARN", arn("b")}, {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}}),
        "LimitExceededException",
        "This request would exceed the on-demand stream limit of 1 for account "
        "000000000000.");
}

TEST_F(MetaHandlersTest, UpdateStreamModeRequiresStreamArnAndMode) {
    expect_error(call(h::update_stream_mode, {{"StreamModeDetails", json::object()}}),
                 "ValidationException",
                 "2 validation errors detected: Value null at 'streamARN' failed to satisfy "
                 "constraint: Member must not be null; Value null at "
                 "'streamModeDetails.streamMode' failed to satisfy constraint: Member must not "
                 "be null");
}

TEST_F(MetaHandlersTest, WarmThroughputWhenSwitchingToProvisionedIsInvalidArgument) {
    create("s", 1, true);
    expect_error(
        call(h::update_stream_mode, {{"StreamARN", arn("s")},
                                     {"StreamModeDetails", {{"StreamMode", "PROVISIONED"}}},
                                     {"WarmThroughputMiBps", 5}}),
        "InvalidArgumentException");
}

// ------------------------------------------------------------------------------------------
// Resource policies

const std::string kPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kinesis:GetRecords","Resource":"*"}]})";

TEST_F(MetaHandlersTest, PutThenGetThenDeleteAStreamPolicy) {
    create("s");
    ok(h::put_resource_policy, {{"ResourceARN", arn("s")}, {"Policy", kPolicy}});
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", arn("s")}}), json({{"Policy", kPolicy}}));
    ok(h::delete_resource_policy, {{"ResourceARN", arn("s")}});
    EXPECT_FALSE(store_->find("s")->policy);
}

TEST_F(MetaHandlersTest, GetPolicyOfAResourceWithoutOneIsAnEmptyDocument) {
    create("s");
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", arn("s")}}), json({{"Policy", "{}"}}));
}

TEST_F(MetaHandlersTest, DeletingAMissingPolicyIsNotFound) {
    create("s");
    expect_error(call(h::delete_resource_policy, {{"ResourceARN", arn("s")}}),
                 "ResourceNotFoundException",
                 "No resource policy found for resource ARN " + arn("s") + ".");
}

TEST_F(MetaHandlersTest, APolicyThatIsNotAJsonObjectIsInvalidArgument) {
    create("s");
    for (const char* bad : {"not json", "[1,2]", "{\"Version\":"})
        expect_error(call(h::put_resource_policy, {{"ResourceARN", arn("s")}, {"Policy", bad}}),
                     "InvalidArgumentException");
}

TEST_F(MetaHandlersTest, AConsumerHasItsOwnPolicy) {
    create("s");
    std::string carn = register_consumer("s", "c");
    ok(h::put_resource_policy, {{"ResourceARN", carn}, {"Policy", kPolicy}});
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", carn}})["Policy"], kPolicy);
    EXPECT_EQ(ok(h::get_resource_policy, {{"ResourceARN", arn("s")}})["Policy"], "{}");
}

TEST_F(MetaHandlersTest, PolicyOfAMissingResourceIsNotFound) {
    create("s");
    expect_error(call(h::put_resource_policy, {{"ResourceARN", arn("nope")}, {"Policy", kPolicy}}),
                 "ResourceNotFoundException", "Stream nope under account 000000000000 not found.");
    expect_error(call(h::get_resource_policy, {{"ResourceARN", consumer_arn("s", "ghost")}}),
                 "ResourceNotFoundException");
}

TEST_F(MetaHandlersTest, PutPolicyRequiresResourceArnAndPolicy) {
    expect_error(call(h::put_resource_policy, json::object()), "ValidationException",
                 "2 validation errors detected: Value null at 'resourceARN' failed to satisfy "
                 "constraint: Member must not be null; Value null at 'policy' failed to satisfy "
                 "constraint: Member must not be null");
}


}  // namespace
}  // namespace tributary::collector::api
