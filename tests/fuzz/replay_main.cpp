// fuzz_replay: runs fuzz inputs through their targets without libFuzzer, so any compiler (and
// CI) turns a corpus into an ordinary test.
//
//   fuzz_replay CORPUS_ROOT                every file of CORPUS_ROOT/<target>/ through <target>
//   fuzz_replay TARGET FILE_OR_DIR...      these inputs through one target (crash reproducers)
//
// Exits 0 when every input ran; a broken property aborts (TRIB_FUZZ_CHECK, sanitizers), and
// the input that did it is named on stderr first.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TRIB_REPLAY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRIB_REPLAY_ASAN 1
#endif
#endif
#ifdef TRIB_REPLAY_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#include "tests/fuzz/fuzz_target.h"

TRIB_FUZZ_SANITIZER_DEFAULTS

namespace fs = std::filesystem;
using tributary::fuzz::TargetInfo;

namespace {

// The input being run, for the signal handler: set before each run, a fixed buffer so the
// handler needs no allocation.
char g_current[4096];

void name_current_input() {
    constexpr char kPrefix[] = "\nfuzz_replay: crashed on input ";
    (void)!write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
    (void)!write(STDERR_FILENO, g_current, strnlen(g_current, sizeof g_current));
    (void)!write(STDERR_FILENO, "\n", 1);
}

void on_fatal_signal(int sig) {
    name_current_input();
    std::raise(sig);  // SA_RESETHAND: the default action now
}

const TargetInfo* find_target(std::string_view name) {
    for (const auto& t : tributary::fuzz::targets())
        if (t.name == name) return &t;
    return nullptr;
}

// Regular files under `path` (or `path` itself), sorted; dot files (.gitkeep) are not inputs.
std::vector<fs::path> inputs_of(const fs::path& path) {
    std::vector<fs::path> out;
    if (fs::is_regular_file(path)) return {path};
    if (!fs::is_directory(path)) return out;
    for (const auto& e : fs::directory_iterator(path))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

bool run(const TargetInfo& t, const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        std::cerr << "fuzz_replay: cannot read " << file << "\n";
        return false;
    }
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    std::string label = std::string(t.name) + " " + file.string();
    std::strncpy(g_current, label.c_str(), sizeof g_current - 1);
    // Like libFuzzer: the buffer is exactly the input's size, so overreads are caught.
    auto copy = std::make_unique<uint8_t[]>(data.size());
    std::copy(data.begin(), data.end(), copy.get());
    t.run(copy.get(), data.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    // On its own stack, so that a stack overflow (deep nesting) still names its input.
    static std::vector<char> alt_stack(1 << 16);
    stack_t ss{};
    ss.ss_sp = alt_stack.data();
    ss.ss_size = alt_stack.size();
    sigaltstack(&ss, nullptr);
    struct sigaction sa{};
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigaction(sig, &sa, nullptr);
#ifdef TRIB_REPLAY_ASAN
    __sanitizer_set_death_callback(name_current_input);  // sanitizer reports end in _exit()
#endif
    if (argc < 2) {
        std::cerr << "usage: fuzz_replay CORPUS_ROOT | fuzz_replay TARGET FILE_OR_DIR...\n";
        return 2;
    }
    size_t ran = 0, unreadable = 0;
    auto started = std::chrono::steady_clock::now();
    if (argc == 2) {
        fs::path root = argv[1];
        if (!fs::is_directory(root)) {
            std::cerr << "fuzz_replay: no corpus at " << root << "\n";
            return 2;
        }
        for (const auto& t : tributary::fuzz::targets()) {
            auto files = inputs_of(root / std::string(t.name));
            if (files.empty()) {
                std::cerr << "fuzz_replay: target " << t.name << " has no corpus\n";
                return 1;
            }
            for (const auto& f : files) (run(t, f) ? ran : unreadable)++;
            std::cout << t.name << ": " << files.size() << " inputs\n";
        }
    } else {
        const TargetInfo* t = find_target(argv[1]);
        if (!t) {
            std::cerr << "fuzz_replay: no target " << argv[1] << "\n";
            return 2;
        }
        for (int i = 2; i < argc; ++i)
            for (const auto& f : inputs_of(argv[i])) (run(*t, f) ? ran : unreadable)++;
    }
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << ran << " inputs replayed in " << secs << " s\n";
    return unreadable == 0 && ran > 0 ? 0 : 1;
}
