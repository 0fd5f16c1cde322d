#include "shared/lmdb/lmdb.h"

#include <sys/stat.h>

namespace tributary::lmdb {
namespace {
class Category : public std::error_category {
public:
    const char* name() const noexcept override { return "lmdb"; }
    std::string message(int rc) const override { return mdb_strerror(rc); }
};
}  // namespace

const std::error_category& category() {
    static Category c;
    return c;
}

tl::unexpected<Error> fail_rc(int rc, std::string_view what) {
    std::string msg(what);
    msg += ": ";
    msg += mdb_strerror(rc);
    return fail(make_error(rc), std::move(msg));
}

Env::~Env() {
    if (env_) mdb_env_close(env_);
}

Env& Env::operator=(Env&& o) noexcept {
    if (this != &o) {
        if (env_) mdb_env_close(env_);
        env_ = o.env_;
        o.env_ = nullptr;
    }
    return *this;
}

Result<Env> Env::open(const std::string& dir, const EnvOptions& opts) {
    MDB_env* e = nullptr;
    if (int rc = mdb_env_create(&e); rc) return fail_rc(rc, "mdb_env_create");
    Env env(e);
    if (int rc = mdb_env_set_mapsize(e, opts.map_size); rc) return fail_rc(rc, "mdb_env_set_mapsize");
    if (int rc = mdb_env_set_maxdbs(e, opts.max_dbs); rc) return fail_rc(rc, "mdb_env_set_maxdbs");
    if (int rc = mdb_env_set_maxreaders(e, opts.max_readers); rc)
        return fail_rc(rc, "mdb_env_set_maxreaders");
    unsigned flags = MDB_NOTLS;
    if (!opts.sync) flags |= MDB_NOSYNC;
    if (int rc = mdb_env_open(e, dir.c_str(), flags, 0640); rc)
        return fail_rc(rc, "mdb_env_open " + dir);
    return env;
}

Result<void> Env::sync(bool force) {
    if (int rc = mdb_env_sync(env_, force ? 1 : 0); rc) return fail_rc(rc, "mdb_env_sync");
    return {};
}

Txn& Txn::operator=(Txn&& o) noexcept {
    if (this != &o) {
        abort();
        txn_ = o.txn_;
        o.txn_ = nullptr;
    }
    return *this;
}

Result<Txn> Txn::begin_read(const Env& env) {
    MDB_txn* t = nullptr;
    if (int rc = mdb_txn_begin(env.get(), nullptr, MDB_RDONLY, &t); rc)
        return fail_rc(rc, "mdb_txn_begin(read)");
    return Txn(t);
}

Result<Txn> Txn::begin_write(const Env& env) {
    MDB_txn* t = nullptr;
    if (int rc = mdb_txn_begin(env.get(), nullptr, 0, &t); rc)
        return fail_rc(rc, "mdb_txn_begin(write)");
    return Txn(t);
}

Result<Txn> Txn::begin_nested(Txn& parent) {
    MDB_txn* t = nullptr;
    if (int rc = mdb_txn_begin(mdb_txn_env(parent.get()), parent.get(), 0, &t); rc)
        return fail_rc(rc, "mdb_txn_begin(nested)");
    return Txn(t);
}

Result<void> Txn::commit() {
    MDB_txn* t = txn_;
    txn_ = nullptr;
    if (int rc = mdb_txn_commit(t); rc) return fail_rc(rc, "mdb_txn_commit");
    return {};
}

void Txn::abort() {
    if (txn_) {
        mdb_txn_abort(txn_);
        txn_ = nullptr;
    }
}

Result<MDB_dbi> open_db(Txn& txn, const char* name, unsigned flags) {
    MDB_dbi dbi;
    if (int rc = mdb_dbi_open(txn.get(), name, flags, &dbi); rc)
        return fail_rc(rc, std::string("mdb_dbi_open ") + name);
    return dbi;
}

Result<bool> get(Txn& txn, MDB_dbi dbi, std::string_view key, std::string_view& out) {
    MDB_val k = val(key), v{};
    int rc = mdb_get(txn.get(), dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return false;
    if (rc) return fail_rc(rc, "mdb_get");
    out = view(v);
    return true;
}

Result<void> put(Txn& txn, MDB_dbi dbi, std::string_view key, std::string_view value,
                 unsigned flags) {
    MDB_val k = val(key), v = val(value);
    if (int rc = mdb_put(txn.get(), dbi, &k, &v, flags); rc) return fail_rc(rc, "mdb_put");
    return {};
}

Result<bool> del(Txn& txn, MDB_dbi dbi, std::string_view key) {
    MDB_val k = val(key);
    int rc = mdb_del(txn.get(), dbi, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc) return fail_rc(rc, "mdb_del");
    return true;
}

Result<Cursor> Cursor::open(Txn& txn, MDB_dbi dbi) {
    Cursor c;
    if (int rc = mdb_cursor_open(txn.get(), dbi, &c.cur_); rc) return fail_rc(rc, "mdb_cursor_open");
    return c;
}

Result<bool> Cursor::op(MDB_cursor_op o) {
    int rc = mdb_cursor_get(cur_, &k_, &v_, o);
    if (rc == MDB_NOTFOUND) return false;
    if (rc) return fail_rc(rc, "mdb_cursor_get");
    return true;
}

Result<bool> Cursor::seek(std::string_view key) {
    k_ = val(key);
    return op(MDB_SET_RANGE);
}
Result<bool> Cursor::first() { return op(MDB_FIRST); }
Result<bool> Cursor::last() { return op(MDB_LAST); }
Result<bool> Cursor::next() { return op(MDB_NEXT); }
Result<bool> Cursor::prev() { return op(MDB_PREV); }
Result<bool> Cursor::get_current() { return op(MDB_GET_CURRENT); }

Result<void> Cursor::del() {
    if (int rc = mdb_cursor_del(cur_, 0); rc) return fail_rc(rc, "mdb_cursor_del");
    return {};
}

Result<void> Cursor::put(std::string_view key, std::string_view value, unsigned flags) {
    MDB_val k = val(key), v = val(value);
    if (int rc = mdb_cursor_put(cur_, &k, &v, flags); rc) return fail_rc(rc, "mdb_cursor_put");
    return {};
}

Result<char*> Cursor::reserve(std::string_view key, size_t size, unsigned flags) {
    MDB_val k = val(key), v{size, nullptr};
    if (int rc = mdb_cursor_put(cur_, &k, &v, flags | MDB_RESERVE); rc)
        return fail_rc(rc, "mdb_cursor_put");
    return static_cast<char*>(v.mv_data);
}

}  // namespace tributary::lmdb
