#include <gtest/gtest.h>

#include "agent/processors/test_util.h"

namespace tributary::agent::processors {
namespace {
using testing::config_error;
using testing::run;

std::string log_to_json(const std::string& format) {
    return R"([{"optionName":"LOGTOJSON","logFormat":")" + format + R"("}])";
}

// Sample lines and expected output from the Kinesis Agent's DataConverterTest.
constexpr const char* kCommon =
    R"(123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450)";
constexpr const char* kCommonJson =
    R"({"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450"})";

TEST(LogToJson, CommonApacheLogWithDashesAsNull) {
    EXPECT_EQ(run(log_to_json("COMMONAPACHELOG"), kCommon), kCommonJson);
}

TEST(LogToJson, CommonApacheLogIgnoresTrailingFields) {
    EXPECT_EQ(run(log_to_json("COMMONAPACHELOG"),
                  std::string(kCommon) + R"j( "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)")j"),
              kCommonJson);
}

TEST(LogToJson, CommonApacheLogAcceptsHostnames) {
    std::string out = run(log_to_json("COMMONAPACHELOG"),
                          R"(lj1036.inktomisearch.com - - [27/Oct/2000:09:27:09 -0400] "GET / HTTP/1.0" 200 -)");
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["host"], "lj1036.inktomisearch.com");
    EXPECT_TRUE(j["bytes"].is_null());
}

TEST(LogToJson, CombinedApacheLog) {
    EXPECT_EQ(
        run(log_to_json("COMBINEDAPACHELOG"),
            R"j(123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200 10450 "-" "Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)" "ANY_RANDOM_DATA")j"),
        R"j({"host":"123.45.67.89","ident":null,"authuser":null,"datetime":"27/Oct/2000:09:27:09 -0400","request":"GET /java/javaResources.html HTTP/1.0","response":"200","bytes":"10450","referer":null,"agent":"Mozilla/4.6 [en] (X11; U; OpenBSD 2.8 i386; Nav)"})j");
}

TEST(LogToJson, ApacheErrorLogVariants) {
    const std::string f = log_to_json("APACHEERRORLOG");
    EXPECT_EQ(
        run(f, "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico"),
        R"({"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":"core","severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187","message":"File does not exist: /usr/local/apache2/htdocs/favicon.ico"})");
    EXPECT_EQ(
        run(f, "[Fri Sep 09 10:42:29 2011] [core:error] [pid 35708] [client 72.15.99.187] File does not exist: /x"),
        R"({"timestamp":"Fri Sep 09 10:42:29 2011","module":"core","severity":"error","processid":"35708","threadid":null,"client":"72.15.99.187","message":"File does not exist: /x"})");
    EXPECT_EQ(
        run(f, "[Fri Sep 09 10:42:29.902022 2011] [error] [pid 35708:tid 4328636416] [client 72.15.99.187:12345] File does not exist: /x"),
        R"({"timestamp":"Fri Sep 09 10:42:29.902022 2011","module":null,"severity":"error","processid":"35708","threadid":"4328636416","client":"72.15.99.187:12345","message":"File does not exist: /x"})");
}

TEST(LogToJson, SyslogWithAndWithoutPid) {
    const std::string f = log_to_json("SYSLOG");
    EXPECT_EQ(run(f, "Mar 12 12:00:08 server2 rcd[308]: Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds) "),
              R"({"timestamp":"Mar 12 12:00:08","hostname":"server2","program":"rcd","processid":"308","message":"Loaded 12 packages in 'ximian-red-carpet|351' (0.01878 seconds) "})");
    EXPECT_EQ(run(f, "Mar 12 12:01:02 server4 snort: Ports to decode telnet on: 21 23 25 119"),
              R"({"timestamp":"Mar 12 12:01:02","hostname":"server4","program":"snort","processid":null,"message":"Ports to decode telnet on: 21 23 25 119"})");
}

TEST(LogToJson, SyslogKeepsDashesAsStrings) {
    auto j = nlohmann::json::parse(run(log_to_json("SYSLOG"), "Mar 12 12:01:02 server4 snort: -"));
    EXPECT_EQ(j["message"], "-");
}

TEST(LogToJson, Rfc3339Syslog) {
    EXPECT_EQ(run(log_to_json("RFC3339SYSLOG"),
                  "2024-03-12T12:00:08.123456+01:00 pi-gw sshd[4411]: Accepted publickey for pi"),
              R"({"timestamp":"2024-03-12T12:00:08.123456+01:00","hostname":"pi-gw","program":"sshd","processid":"4411","message":"Accepted publickey for pi"})");
}

// RFC 5424 §6.5, examples 1-4 (BOM written as the UTF-8 bytes EF BB BF).
TEST(LogToJson, Rfc5424ExampleWithoutStructuredData) {
    EXPECT_EQ(run(log_to_json("RFC5424SYSLOG"),
                  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8"),
              R"({"priority":"34","version":"1","timestamp":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","appname":"su","procid":null,"msgid":"ID47","structureddata":null,"message":"'su root' failed for lonvick on /dev/pts/8"})");
}

TEST(LogToJson, Rfc5424ExampleWithNilValues) {
    auto j = nlohmann::json::parse(run(log_to_json("RFC5424SYSLOG"),
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts."));
    EXPECT_EQ(j["timestamp"], "2003-08-24T05:14:15.000003-07:00");
    EXPECT_EQ(j["procid"], "8710");
    EXPECT_TRUE(j["msgid"].is_null());
    EXPECT_EQ(j["message"], "%% It's time to make the do-nuts.");
}

TEST(LogToJson, Rfc5424StructuredDataBecomesAnObject) {
    auto j = nlohmann::json::parse(run(log_to_json("RFC5424SYSLOG"),
        R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] )"
        "\xEF\xBB\xBF" "An application event log entry..."));
    EXPECT_EQ(j["structureddata"], nlohmann::json::parse(
        R"({"exampleSDID@32473":{"iut":"3","eventSource":"Application","eventID":"1011"}})"));
    EXPECT_EQ(j["message"], "An application event log entry...");
}

TEST(LogToJson, Rfc5424TwoElementsNoMessageAndEscapes) {
    auto j = nlohmann::json::parse(run(log_to_json("RFC5424SYSLOG"),
        R"(<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high" q="a \"b\" \\ c\]" q="2"])"));
    EXPECT_EQ(j["structureddata"]["examplePriority@32473"]["class"], "high");
    EXPECT_EQ(j["structureddata"]["examplePriority@32473"]["q"],
              nlohmann::json::parse(R"(["a \"b\" \\ c]", "2"])"));
    EXPECT_TRUE(j["message"].is_null());
}

TEST(LogToJson, Rfc5424RejectsMalformedLines) {
    const std::string f = log_to_json("RFC5424SYSLOG");
    EXPECT_EQ(run(f, "Mar 12 12:01:02 server4 snort: hi"), "FAILED");
    EXPECT_EQ(run(f, "<192>1 - - - - - -"), "FAILED");                       // PRI > 191
    EXPECT_EQ(run(f, "<34>1 yesterday host app - - - msg"), "FAILED");       // bad timestamp
    EXPECT_EQ(run(f, "<34>1 - host app - - [id x=\"1\" msg"), "FAILED");     // unterminated SD
    EXPECT_EQ(run(f, "<34>1 - host app - - [a][a] msg"), "FAILED");          // repeated SD-ID
    EXPECT_EQ(run(f, "<34>1 - host app - -"), "FAILED");                     // no SD field
}

TEST(LogToJson, LineThatDoesNotParseFailsAndSaysWhy) {
    Chain chain = testing::make_chain(log_to_json("COMMONAPACHELOG"));
    std::string record =
        R"(123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200)";
    const std::string before = record;
    std::string_view step;
    EXPECT_EQ(chain.apply(record, &step), Chain::Outcome::failed);
    EXPECT_EQ(record, before);
    EXPECT_EQ(step, "LOGTOJSON");
    EXPECT_EQ(chain.last_error(), "does not match COMMONAPACHELOG");
}

TEST(LogToJson, OneMebibyteMessageStillParses) {
    // The tail source's largest record; the regex must not run out of JIT stack or match limit.
    std::string big(1 << 20, 'x');
    std::string out = run(log_to_json("APACHEERRORLOG"),
                          "[Fri Sep 09 10:42:29 2011] [error] [pid 1] [client 1.2.3.4] " + big);
    ASSERT_NE(out, "FAILED");
    EXPECT_EQ(nlohmann::json::parse(out)["message"].get<std::string>().size(), big.size());
}

TEST(LogToJson, CustomFieldNamesRenameTheDefaults) {
    EXPECT_EQ(run(R"([{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG","customFieldNames":["column1","column2","column3","column4","column5","column6","column7"]}])",
                  kCommon),
              R"({"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200","column7":"10450"})");
}

TEST(LogToJson, MatchPatternNamesItsGroups) {
    EXPECT_EQ(run(R"j([{"optionName":"LOGTOJSON","logFormat":"COMMONAPACHELOG","matchPattern":"^([\\d.]+) (\\S+) (\\S+) \\[([\\w:/]+\\s[+\\-]\\d{4})\\] \"(.+?)\" (\\d{3})","customFieldNames":["column1","column2","column3","column4","column5","column6"]}])j",
                  R"(123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET /java/javaResources.html HTTP/1.0" 200)"),
              R"({"column1":"123.45.67.89","column2":null,"column3":null,"column4":"27/Oct/2000:09:27:09 -0400","column5":"GET /java/javaResources.html HTTP/1.0","column6":"200"})");
}

TEST(LogToJson, MatchPatternMustMatchTheWholeRecord) {
    const char* opts = R"j([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","matchPattern":"(\\w+)=(\\d+)","customFieldNames":["k","v"]}])j";
    EXPECT_EQ(run(opts, "temp=21"), R"({"k":"temp","v":"21"})");
    EXPECT_EQ(run(opts, "temp=21 extra"), "FAILED");
}

TEST(LogToJson, MatchPatternSeesCharactersAndInvalidBytesAsJavaDoes) {
    // '.' is one character (é is two bytes); an invalid byte reads as U+FFFD, as after Java's
    // decoding, so it still matches and comes out as U+FFFD.
    const char* opts = R"j([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","matchPattern":"(.)(.)-(.*)","customFieldNames":["a","b","rest"]}])j";
    EXPECT_EQ(run(opts, "\xC3\xA9x-z"), "{\"a\":\"\xC3\xA9\",\"b\":\"x\",\"rest\":\"z\"}");
    EXPECT_EQ(run(opts, "ab-\xFF\x01"), "{\"a\":\"a\",\"b\":\"b\",\"rest\":\"\xEF\xBF\xBD\\u0001\"}");
}

TEST(LogToJson, PrettyPrint) {
    EXPECT_EQ(run(R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","jsonFormat":"PRETTYPRINT"}])",
                  "Mar 12 12:01:02 server4 snort: hi\n"),
              "{\n  \"timestamp\" : \"Mar 12 12:01:02\",\n  \"hostname\" : \"server4\",\n  \"program\" : "
              "\"snort\",\n  \"processid\" : null,\n  \"message\" : \"hi\"\n}\n");
}

TEST(LogToJson, ConfigErrorsNameTheKey) {
    EXPECT_EQ(config_error(R"([{"optionName":"SINGLELINE"},{"optionName":"LOGTOJSON","logFormat":"FOO"}])"),
              "dataProcessingOptions[1].logFormat: unknown value 'FOO' (expected COMMONAPACHELOG, "
              "COMBINEDAPACHELOG, APACHEERRORLOG, SYSLOG, RFC3339SYSLOG, RFC5424SYSLOG)");
    EXPECT_EQ(config_error(R"([{"optionName":"LOGTOJSON"}])"),
              "dataProcessingOptions[0].logFormat: required");
    EXPECT_EQ(config_error(R"j([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","matchPattern":"(a)"}])j"),
              "dataProcessingOptions[0].matchPattern: needs customFieldNames to name its groups");
    EXPECT_EQ(config_error(R"j([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","matchPattern":"(a)(b)","customFieldNames":["x"]}])j"),
              "dataProcessingOptions[0].customFieldNames: 1 names for a matchPattern with 2 capturing groups");
    EXPECT_EQ(config_error(R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","customFieldNames":["x"]}])"),
              "dataProcessingOptions[0].customFieldNames: 1 names, but SYSLOG has 5 fields (rename all "
              "of them, or give a matchPattern)");
    EXPECT_EQ(config_error(R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","matchPattern":"(a","customFieldNames":["x"]}])")
                  .rfind("dataProcessingOptions[0].matchPattern: missing closing parenthesis", 0),
              0u);
    EXPECT_EQ(config_error(R"([{"optionName":"LOGTOJSON","logFormat":"SYSLOG","delimiter":","}])"),
              "dataProcessingOptions[0].delimiter: unknown key (expected one of logFormat, "
              "matchPattern, customFieldNames, jsonFormat)");
}

}  // namespace
}  // namespace tributary::agent::processors
