// filesystem group: statvfs() of the real filesystems in <proc_root>/self/mounts.
//
// Included: local block filesystems (kLocalTypes); tmpfs only at /tmp, /var/tmp and /var/log
// (log2ram), the RAM disks that fill up on small devices (/run, /dev/shm and the many runtime
// tmpfs mounts are noise); overlay only when mounted at "/" (a read-only Raspberry Pi root or a
// container's root).
// Excluded: pseudo filesystems (proc, sysfs, devtmpfs, cgroup, ...), squashfs and iso9660
// (read-only images, always full), and network filesystems (nfs, cifs, sshfs, ...):
// statvfs() on a mount whose server is gone can block for minutes and would stall sampling.
// A device mounted more than once (bind mounts) is reported at its first mount point only.
#include <sys/statvfs.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "agent/sources/metrics/collectors.h"

namespace tributary::agent::sources::metrics {
namespace {

constexpr std::array<std::string_view, 18> kLocalTypes = {
    "ext2", "ext3",  "ext4",    "xfs", "btrfs",    "vfat", "msdos",    "exfat",   "f2fs",
    "ntfs", "ntfs3", "fuseblk", "jfs", "reiserfs", "zfs",  "bcachefs", "hfsplus", "nilfs2"};

bool wanted(std::string_view type, std::string_view mount) {
    for (std::string_view t : kLocalTypes)
        if (type == t) return true;
    if (type == "tmpfs") return mount == "/tmp" || mount == "/var/tmp" || mount == "/var/log";
    return type == "overlay" && mount == "/";
}

// /proc/self/mounts escapes space, tab, newline and backslash as \ooo octal.
void unescape(std::string_view in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '\\' && i + 3 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '3' &&
            in[i + 2] >= '0' && in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
            out.push_back(static_cast<char>((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 +
                                            (in[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(in[i]);
        }
    }
}

struct Fs {
    std::string mount, device, type;
    struct statvfs st;
};

class Filesystem final : public Collector {
public:
    explicit Filesystem(const std::string& proc_root) : path_(proc_root + "/self/mounts") {}

    void collect(Context& ctx, JsonWriter& out) override {
        auto text = ctx.files.read(path_);
        if (!text) return ctx.problems.fail(path_, std::strerror(ctx.files.last_errno()));
        ctx.problems.ok(path_);
        gather(ctx, *text);

        out.key("filesystem");
        out.begin_array();
        for (size_t i = 0; i < count_; ++i) write(out, fs_[i]);
        out.end_array();
    }

private:
    void gather(Context& ctx, std::string_view text) {
        count_ = 0;
        std::string_view line, device, mount, type;
        while (next_line(text, line)) {
            if (!next_token(line, device) || !next_token(line, mount) || !next_token(line, type))
                continue;
            if (count_ == fs_.size()) fs_.emplace_back();
            Fs& f = fs_[count_];
            unescape(mount, f.mount);
            if (!wanted(type, f.mount)) continue;
            unescape(device, f.device);
            if (f.device.starts_with('/') && seen_device(f.device)) continue;
            key_.assign("statvfs ").append(f.mount);
            if (::statvfs(f.mount.c_str(), &f.st) != 0) {
                ctx.problems.fail(key_, std::strerror(errno));
                continue;
            }
            ctx.problems.ok(key_);
            f.type.assign(type);
            ++count_;
        }
    }

    bool seen_device(const std::string& device) const {
        for (size_t i = 0; i < count_; ++i)
            if (fs_[i].device == device) return true;
        return false;
    }

    static void write(JsonWriter& out, const Fs& f) {
        const struct statvfs& st = f.st;
        const uint64_t frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
        const uint64_t size = uint64_t(st.f_blocks) * frsize;
        const uint64_t used =
            st.f_blocks > st.f_bfree ? uint64_t(st.f_blocks - st.f_bfree) * frsize : 0;
        const uint64_t avail = uint64_t(st.f_bavail) * frsize;
        out.begin_object();
        out.field("mount", f.mount);
        out.field("device", f.device);
        out.field("type", f.type);
        out.field_u64("size_bytes", size);
        out.field_u64("used_bytes", used);
        out.field_u64("available_bytes", avail);
        // As df computes Use%: blocks reserved for root count as neither used nor available.
        if (used + avail > 0) out.field_number("used_pct", 100.0 * used / double(used + avail));
        // vfat and btrfs report no inode limit (f_files == 0): the field is left out.
        if (st.f_files > 0 && st.f_files >= st.f_ffree)
            out.field_number("inodes_used_pct",
                             100.0 * double(st.f_files - st.f_ffree) / double(st.f_files));
        out.end_object();
    }

    std::string path_;
    std::string key_;     // "statvfs <mount>", reused
    std::vector<Fs> fs_;  // only the first count_ entries are live
    size_t count_ = 0;
};

}  // namespace

std::unique_ptr<Collector> make_filesystem(const std::string& proc_root) {
    return std::make_unique<Filesystem>(proc_root);
}

}  // namespace tributary::agent::sources::metrics
