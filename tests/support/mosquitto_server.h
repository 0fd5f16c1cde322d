#pragma once
// Test support: a real Mosquitto broker on a free loopback port with a generated config, and
// a throwaway PKI made with the openssl CLI for its TLS and mutual-TLS listeners.
//
// Lifecycle: MosquittoServer owns a temporary directory (config, log, certificates handed to
// it stay the caller's) and a child process; the destructor stops the broker (SIGTERM, then
// SIGKILL after a bounded wait) and removes the directory; a test process that crashes takes
// the broker with it (PR_SET_PDEATHSIG), though its directory stays behind. restart() keeps the
// port, so clients reconnect to the same URI; the broker runs without persistence, so a restart
// loses every session (what a real broker does after its store is lost). Not thread-safe: drive one
// server from one test thread.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tributary::tests::support {

// A free TCP port on 127.0.0.1 (bound, read back, released: another process may take it, which
// tests accept).
uint16_t free_port();

// A directory under $TMPDIR removed (recursively) by the destructor.
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "trib-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A CA, a server certificate for 127.0.0.1 and localhost, and client certificates whose CN is
// what the caller names (a device id). EC P-256 keys keep it fast. Everything lives in `dir`.
class Pki {
public:
    struct KeyPair {
        std::filesystem::path cert, key;
    };
    // Runs openssl; ok() says whether it worked (the log is dir/openssl.log).
    explicit Pki(std::filesystem::path dir);
    bool ok() const { return ok_; }
    const std::filesystem::path& ca() const { return ca_; }
    KeyPair server() const { return {dir_ / "server.pem", dir_ / "server.key"}; }
    // Issues (once per CN) a client certificate signed by this CA; empty paths on failure.
    KeyPair client(std::string_view common_name) const;

private:
    std::filesystem::path dir_, ca_;
    bool ok_ = false;
};

struct MosquittoConfig {
    const Pki* tls = nullptr;          // a TLS listener with this PKI's server certificate
    bool require_certificate = false;  // mTLS: clients need a certificate of the PKI's CA, and
                                       // its CN becomes their username
    std::string extra;                 // more config lines (acl_file, max_packet_size, ...)
};

class MosquittoServer {
public:
    explicit MosquittoServer(MosquittoConfig config = {});
    ~MosquittoServer();
    MosquittoServer(const MosquittoServer&) = delete;
    MosquittoServer& operator=(const MosquittoServer&) = delete;

    // Starts the broker and waits (at most 10 s) until it accepts connections. False when it
    // did not come up; log() says why.
    bool start();
    // Stops it (SIGTERM, at most 5 s, then SIGKILL) and reaps it; a no-op when not running.
    void stop();
    bool restart();
    bool running() const { return pid_ > 0; }

    uint16_t port() const { return port_; }
    std::string uri() const;  // tcp://127.0.0.1:<port>, or ssl:// with TLS
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::string log() const;  // the broker's log, for failure messages

private:
    MosquittoConfig config_;
    TempDir dir_;
    uint16_t port_;
    pid_t pid_ = -1;
};

}  // namespace tributary::tests::support
