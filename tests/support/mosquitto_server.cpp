#include "tests/support/mosquitto_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

namespace tributary::tests::support {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";

bool port_open(uint16_t port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
}

bool run(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

}  // namespace

uint16_t free_port() {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

TempDir::TempDir(std::string_view prefix) {
    std::string t = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (mkdtemp(t.data())) path_ = t;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
}

Pki::Pki(fs::path dir) : dir_(std::move(dir)), ca_(dir_ / "ca.pem") {
    std::ofstream(dir_ / "server.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                          "basicConstraints=CA:FALSE\n"
                                          "extendedKeyUsage=serverAuth\n";
    ok_ = run("cd '" + dir_.string() +
              "' && exec >>openssl.log 2>&1 && "
              "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
              "-keyout ca.key -out ca.pem -days 2 -subj /CN=trib-test-ca "
              "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && "
              "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
              "-keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
              "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
              "-out server.pem -days 2 -extfile server.cnf");
}

Pki::KeyPair Pki::client(std::string_view cn) const {
    std::string name(cn);
    KeyPair kp{dir_ / ("client-" + name + ".pem"), dir_ / ("client-" + name + ".key")};
    if (fs::exists(kp.cert)) return kp;
    std::ofstream(dir_ / "client.cnf")
        << "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
    bool ok = run("cd '" + dir_.string() +
                  "' && exec >>openssl.log 2>&1 && "
                  "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                  "-keyout '" +
                  kp.key.string() + "' -out client.csr -subj '/CN=" + name +
                  "' && "
                  "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                  "-out '" +
                  kp.cert.string() + "' -days 2 -extfile client.cnf");
    if (!ok) return {};
    return kp;
}

MosquittoServer::MosquittoServer(MosquittoConfig config)
    : config_(std::move(config)), dir_("trib-mosquitto"), port_(free_port()) {}

MosquittoServer::~MosquittoServer() { stop(); }

std::string MosquittoServer::uri() const {
    return std::string(config_.tls ? "ssl" : "tcp") + "://127.0.0.1:" + std::to_string(port_);
}

std::string MosquittoServer::log() const {
    std::ifstream in(dir() / "mosquitto.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool MosquittoServer::start() {
    if (running()) return true;
    std::ostringstream conf;
    // Mosquitto started as root switches to the user named here; stay who we are.
    if (const passwd* pw = getpwuid(geteuid())) conf << "user " << pw->pw_name << "\n";
    conf << "per_listener_settings false\n"
         << "persistence false\n"
         << "log_dest stderr\n"
         << "log_type all\n"
         << "listener " << port_ << " 127.0.0.1\n";
    if (config_.tls) {
        Pki::KeyPair server = config_.tls->server();
        conf << "cafile " << config_.tls->ca().string() << "\n"
             << "certfile " << server.cert.string() << "\n"
             << "keyfile " << server.key.string() << "\n"
             << "tls_version tlsv1.2\n";
        if (config_.require_certificate)
            conf << "require_certificate true\nuse_identity_as_username true\n";
    }
    conf << "allow_anonymous " << (config_.require_certificate ? "false" : "true") << "\n"
         << config_.extra << "\n";
    fs::path conf_path = dir() / "mosquitto.conf";
    std::ofstream(conf_path) << conf.str();

    std::string log_path = (dir() / "mosquitto.log").string();
    std::string conf_str = conf_path.string();
    pid_ = fork();
    if (pid_ == 0) {
        // A test that crashes runs no destructor: the broker must not outlive it.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(kMosquitto, kMosquitto, "-c", conf_str.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    if (pid_ < 0) return false;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (port_open(port_)) return true;
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
            pid_ = -1;  // reaped: never signal a pid that may be reused
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    stop();
    return false;
}

void MosquittoServer::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    bool reaped = false;
    while (!reaped && std::chrono::steady_clock::now() < deadline) {
        reaped = waitpid(pid_, nullptr, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(5ms);
    }
    if (!reaped) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
}

bool MosquittoServer::restart() {
    stop();
    return start();
}

}  // namespace tributary::tests::support
