#pragma once
// The collector's configuration: a JSON file (--config) whose keys are listed in kOptions
// (config.cpp) and documented in collector/README.md, overridden by command-line flags.
// Unknown keys and wrong types are errors that name the file and the key.

#include <string>
#include <vector>

#include "collector/api/api.h"
#include "collector/api/http_server.h"
#include "collector/ingest/mqtt/ingest.h"
#include "collector/store/shard_store.h"
#include "shared/result.h"

namespace tributary::collector::app {

struct Config {
    store::StoreOptions store;
    api::ApiOptions api;
    api::ServerOptions server;
    ingest::mqtt::IngestOptions mqtt;  // mqtt.broker empty = MQTT ingest off
    std::string log_level = "info";
};

// Parses argv (flags override the file given by --config). Errors: a message naming the file
// and key, or the flag, that is wrong. `--help` yields an error whose message is the usage.
Result<Config> load_config(const std::vector<std::string>& args);
std::string usage();

}  // namespace tributary::collector::app
