#pragma once
// Thin RAII layer over LMDB. Errors come back as Result with codes in the `lmdb` category
// (the raw MDB_* / errno value, described by mdb_strerror).
//
// Env is thread-safe; a write Txn belongs to one thread; read Txns use MDB_NOTLS so any thread
// of a pool may open one. Nothing here hides LMDB's model: one writer at a time, readers never
// block.

#include <lmdb.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "shared/result.h"

namespace tributary::lmdb {

const std::error_category& category();
inline std::error_code make_error(int rc) { return {rc, category()}; }
tl::unexpected<Error> fail_rc(int rc, std::string_view what);

inline MDB_val val(std::string_view s) {
    return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view view(const MDB_val& v) {
    return {static_cast<const char*>(v.mv_data), v.mv_size};
}

struct EnvOptions {
    size_t map_size = size_t(1) << 30;
    unsigned max_dbs = 16;
    unsigned max_readers = 512;
    bool sync = true;  // false: MDB_NOSYNC (commits reach the page cache only)

};

class Env {
public:
    Env() = default;
    ~Env();
    Env(Env&& o) noexcept : env_(o.env_) { o.env_ = nullptr; }
    Env& operator=(Env&& o) noexcept;

    // Opens (creating the directory's data.mdb if needed) the environment in `dir`.
    // Errors: lmdb category (ENOENT for a missing directory, EACCES, MDB_VERSION_MISMATCH...).
    static Result<Env> open(const std::string& dir, const EnvOptions& opts);

    MDB_env* get() const { return env_; }
    // Flushes the OS buffers to disk (fdatasync); needed only with sync=false.
    Result<void> sync(bool force = true);

private:
    explicit Env(MDB_env* e) : env_(e) {}
    MDB_env* env_ = nullptr;
};

class Txn {
public:
    Txn() = default;
    ~Txn() { abort(); }
    Txn(Txn&& o) noexcept : txn_(o.txn_) { o.txn_ = nullptr; }
    Txn& operator=(Txn&& o) noexcept;

    static Result<Txn> begin_read(const Env& env);
    static Result<Txn> begin_write(const Env& env);
    // A nested write transaction: its changes become part of `parent` on commit and vanish on
    // abort, which is how one request in a group commit is undone without undoing the others.
    static Result<Txn> begin_nested(Txn& parent);

    Result<void> commit();
    void abort();
    // Read-only txns can be reset and renewed to avoid reallocating the reader slot.
    MDB_txn* get() const { return txn_; }
    explicit operator bool() const { return txn_ != nullptr; }

private:
    explicit Txn(MDB_txn* t) : txn_(t) {}
    MDB_txn* txn_ = nullptr;
};

// Opens (creating when `create`) a named database; the handle stays valid for the Env's life.
Result<MDB_dbi> open_db(Txn& txn, const char* name, unsigned flags = MDB_CREATE);

// get: nullopt-like semantics via Result<bool>: true and `out` set when found, false when absent.
Result<bool> get(Txn& txn, MDB_dbi dbi, std::string_view key, std::string_view& out);
Result<void> put(Txn& txn, MDB_dbi dbi, std::string_view key, std::string_view value,
                 unsigned flags = 0);
// Returns false when the key did not exist.
Result<bool> del(Txn& txn, MDB_dbi dbi, std::string_view key);

class Cursor {
public:
    Cursor() = default;
    ~Cursor() {
        if (cur_) mdb_cursor_close(cur_);
    }
    Cursor(Cursor&& o) noexcept : cur_(o.cur_) { o.cur_ = nullptr; }
    Cursor& operator=(Cursor&&) = delete;

    static Result<Cursor> open(Txn& txn, MDB_dbi dbi);

    // Each positioning call returns true when positioned on an entry, false at the end.
    Result<bool> seek(std::string_view key);  // MDB_SET_RANGE: first key >= `key`
    Result<bool> first();
    Result<bool> last();
    Result<bool> next();
    Result<bool> prev();
    // The entry under the cursor; after del() that is the entry that followed the deleted one.
    Result<bool> get_current();
    Result<void> del();  // deletes the current entry
    Result<void> put(std::string_view key, std::string_view value, unsigned flags = 0);
    // MDB_RESERVE: makes room for a `size`-byte value and returns where to write it (valid
    // until the next write in this transaction), saving the copy through a scratch buffer.
    Result<char*> reserve(std::string_view key, size_t size, unsigned flags = 0);

    MDB_cursor* get() const { return cur_; }
    std::string_view key() const { return view(k_); }
    std::string_view value() const { return view(v_); }

private:
    Result<bool> op(MDB_cursor_op o);
    MDB_cursor* cur_ = nullptr;
    MDB_val k_{}, v_{};
};

// Big-endian integer packing, so LMDB's default byte-wise key order is numeric order.
inline void put_be32(char* p, uint32_t v) {
    for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
inline void put_be64(char* p, uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}
inline uint32_t get_be32(const char* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
inline uint64_t get_be64(const char* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

}  // namespace tributary::lmdb
