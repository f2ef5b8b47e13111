// The container init: clone3 and the child's side of the plan.
//
// The parent is a multi-threaded JS runtime. After clone3 the child is a copy
// of one thread of it, so it must not call the allocator or anything that may
// take a lock another thread held: it uses raw syscalls, the stack and the
// plan (allocated before the clone), and reports failure as a fixed-size
// record over a close-on-exec pipe.
#include "init.h"
#include "hook_pump.h"
#include "idmap.h"
#include "plan_wire.h"
#include "stage_image.h"
#include "unix_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>  // ST_* flags, which statfs' f_flags shares
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace ocirt {
namespace {

// ---- raw syscalls glibc does not wrap (or wraps with locking) ----

constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;  // CLONE_INTO_CGROUP (Linux 5.7)

// The parent opens bind sources for the init (kDetachedBind) where the init is
// born in a new user namespace with a new mount namespace: one it joins or
// unshares later would not hold the mounts the parent's fds point to, and
// the init then binds by path.
bool SourcesFromParent(const InitPlan& plan) {
  return (plan.clone_flags & CLONE_NEWUSER) != 0 && (plan.clone_flags & CLONE_NEWNS) != 0;
}

long Clone3(struct clone_args* args) { return syscall(SYS_clone3, args, sizeof(*args)); }

int OpenAt2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

int PivotRoot(const char* new_root, const char* put_old) {
  return static_cast<int>(syscall(SYS_pivot_root, new_root, put_old));
}

int CloseRange(unsigned first, unsigned last) {
  return static_cast<int>(syscall(SYS_close_range, first, last, 0));
}

// glibc's setresuid/setresgid/setgroups broadcast the change to every thread
// of the process it believes it has (the "setxid" protocol), taking locks a
// thread of the parent may have held at clone time. The child has one thread:
// it makes the system calls directly.
int SetResUid(uid_t id) { return static_cast<int>(syscall(SYS_setresuid, id, id, id)); }
int SetResGid(gid_t id) { return static_cast<int>(syscall(SYS_setresgid, id, id, id)); }
int SetGroups(size_t n, const gid_t* groups) { return static_cast<int>(syscall(SYS_setgroups, n, groups)); }

int CapSet(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  struct __user_cap_header_struct header {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  struct __user_cap_data_struct data[2] {};
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(inheritable);
  data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
  return static_cast<int>(syscall(SYS_capset, &header, data));
}

// ---- allocation-free string helpers for the child ----

// Writes v in decimal at out (at least 21 bytes) with a terminating NUL;
// returns the end. No allocation, no locale: usable in the child.
char* FormatDecimal(long v, char* out) {
  char digits[24];
  int n = 0;
  unsigned long u = v < 0 ? -static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *out++ = '-';
  while (n > 0) *out++ = digits[--n];
  *out = '\0';
  return out;
}

// Writes "/proc/self/fd/<fd>" into buf (at least 32 bytes).
const char* FdPath(int fd, char* buf) {
  static const char kPrefix[] = "/proc/self/fd/";
  memcpy(buf, kPrefix, sizeof(kPrefix) - 1);
  FormatDecimal(fd, buf + sizeof(kPrefix) - 1);
  return buf;
}

// Copies a and b joined by '/' into out; false if it does not fit.
bool JoinPath(char* out, size_t size, const char* a, const char* b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + 1 + lb + 1 > size) return false;
  memcpy(out, a, la);
  size_t pos = la;
  if (la == 0 || a[la - 1] != '/') out[pos++] = '/';
  memcpy(out + pos, b, lb + 1);
  return true;
}

// Splits path into its parent directory and last component, in buffers.
bool SplitPath(const char* path, char* dir, char* base) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/') len--;
  if (len >= PATH_MAX) return false;
  size_t slash = len;
  while (slash > 0 && path[slash - 1] != '/') slash--;
  if (slash == len) return false;  // empty last component
  memcpy(dir, path, slash);
  dir[slash] = '\0';
  if (slash == 0) {
    dir[0] = '/';
    dir[1] = '\0';
  }
  memcpy(base, path + slash, len - slash);
  base[len - slash] = '\0';
  return true;
}

// ---- the child ----

struct Child {
  InitPlan* plan;
  int console_socket_fd;
  int status_fd;
  int sync_fd;
  int listen_fd;
  // Read end of the "recorded" pipe (-1 for exec), and the parent's write end.
  int recorded_fd;
  int parent_recorded_fd;
  // The parent's ends of the two pipes, closed at once in the child.
  int parent_status_fd;
  int parent_sync_fd;
  char exec_path[PATH_MAX];
};

[[noreturn]] void Fail(Child& c, int32_t phase, int32_t step, int err, const char* message = nullptr) {
  InitReport report {};
  report.kind = kReportFailure;
  report.phase = phase;
  report.step = step;
  report.err = err;
  if (message != nullptr) {
    size_t n = strlen(message);
    if (n >= sizeof(report.message)) n = sizeof(report.message) - 1;
    memcpy(report.message, message, n);
  }
  ssize_t ignored = write(c.status_fd, &report, sizeof(report));
  (void)ignored;
  _exit(1);
}

// Resolution that keeps every lookup inside the root: symlinks (absolute or
// with "..") are resolved as if the root were "/", and magic links such as
// /proc/self/root are refused. This is what stops a hostile image from
// pointing a mount target at the host (runc CVE-2021-30465 class).
constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

int OpenInRoot(int rootfd, const char* path, uint64_t flags) {
  int fd;
  do { fd = OpenAt2(rootfd, path, flags | O_CLOEXEC, kInRoot); } while (fd < 0 && errno == EAGAIN);
  return fd;
}

// mkdir -p inside the root; the last component is made a directory or an
// empty file as `last` says. Returns an O_PATH fd of the result, or -1/errno.
// A dangling symlink on the way is followed inside the root (its target is
// created there), as runc's MkdirAllInRoot does; 40 hops at most, as ELOOP.
int MkdirAllInRoot(int rootfd, const char* path, int32_t last) {
  int fd = OpenInRoot(rootfd, path, O_PATH);
  if (fd >= 0 || errno != ENOENT || last == kCreateNone) return fd;

  char prefix[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof(prefix)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(prefix, path, len + 1);

  int parent = OpenInRoot(rootfd, "/", O_PATH | O_DIRECTORY);
  if (parent < 0) return -1;
  int hops = 0;
  size_t pos = 0;
  while (pos < len) {
    while (pos < len && prefix[pos] == '/') pos++;
    if (pos >= len) break;
    size_t end = pos;
    while (end < len && prefix[end] != '/') end++;
    bool is_last = true;
    for (size_t k = end; k < len; k++)
      if (prefix[k] != '/') {
        is_last = false;
        break;
      }

    char saved = prefix[end];
    prefix[end] = '\0';
    int next = OpenInRoot(rootfd, prefix, O_PATH);
    if (next < 0 && errno == ENOENT) {
      const char* name = prefix + pos;
      int rc;
      if (is_last && last == kCreateFile) {
        rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0) close(rc);
      } else {
        rc = mkdirat(parent, name, 0755);
      }
      if (rc < 0 && errno != EEXIST) {
        int e = errno;
        close(parent);
        errno = e;
        return -1;
      }
      // Open what is there now, through the same in-root resolution.
      next = OpenInRoot(rootfd, prefix, O_PATH);
      if (next < 0 && errno == ENOENT) {
        // A dangling symlink: continue with its target, resolved in the root.
        char link[PATH_MAX];
        ssize_t n = readlinkat(parent, name, link, sizeof(link) - 1);
        if (n <= 0 || ++hops > 40) {
          close(parent);
          errno = n <= 0 ? ENOENT : ELOOP;
          return -1;
        }
        link[n] = '\0';
        char rewritten[PATH_MAX];
        size_t dir_len = link[0] == '/' ? 0 : pos;
        size_t rest_len = len - end;
        if (dir_len + static_cast<size_t>(n) + rest_len + 1 > sizeof(rewritten)) {
          close(parent);
          errno = ENAMETOOLONG;
          return -1;
        }
        memcpy(rewritten, prefix, dir_len);
        memcpy(rewritten + dir_len, link, static_cast<size_t>(n));
        prefix[end] = saved;
        memcpy(rewritten + dir_len + n, prefix + end, rest_len + 1);
        memcpy(prefix, rewritten, dir_len + static_cast<size_t>(n) + rest_len + 1);
        len = strlen(prefix);
        close(parent);
        parent = OpenInRoot(rootfd, "/", O_PATH | O_DIRECTORY);
        if (parent < 0) return -1;
        pos = 0;
        continue;
      }
    }
    if (next < 0) {
      int e = errno;
      close(parent);
      errno = e;
      return -1;
    }
    close(parent);
    parent = next;
    prefix[end] = saved;
    pos = end;
  }
  return parent;
}

// Opens the parent directory of `path` inside the root (creating it) and
// leaves the last component in `base`.
int OpenParentInRoot(int rootfd, const char* path, char* base) {
  char dir[PATH_MAX];
  if (!SplitPath(path, dir, base)) {
    errno = EINVAL;
    return -1;
  }
  return MkdirAllInRoot(rootfd, dir, kCreateDirectory);
}

// A remount in a user namespace may not clear flags that the mount's owner
// locked (nosuid, nodev, noexec, ro, atime flags): keep those and retry.
int RemountKeepingLockedFlags(const char* target, unsigned long flags, const char* data) {
  if (mount("", target, nullptr, flags | MS_REMOUNT, data) == 0) return 0;
  if (errno != EPERM) return -1;
  // statfs, not statvfs: glibc's statvfs may read /proc/mounts with malloc.
  struct statfs st {};
  if (statfs(target, &st) != 0) return -1;
  unsigned long locked = 0;
  if (st.f_flags & ST_NOSUID) locked |= MS_NOSUID;
  if (st.f_flags & ST_NODEV) locked |= MS_NODEV;
  if (st.f_flags & ST_NOEXEC) locked |= MS_NOEXEC;
  if (st.f_flags & ST_NOATIME) locked |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME) locked |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME) locked |= MS_RELATIME;
  if (st.f_flags & ST_RDONLY) locked |= MS_RDONLY;
  errno = EPERM;
  return mount("", target, nullptr, flags | locked | MS_REMOUNT, data);
}

// tmpcopyup (config.md "Mounts", as runc): a new tmpfs starts with a copy of
// what the directory under it held, with the same modes and owners. `from`
// was opened before the mount, so it still reaches the shadowed directory.
// No allocator: getdents64 into a stack buffer, file data with sendfile(2).
int CopyTree(int from, int to, int depth);

int CopyEntry(int from, int to, const char* name, int depth) {
  struct stat st {};
  if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return -1;
  mode_t perm = st.st_mode & 07777;
  int rc = 0, src = -1, dst = -1;
  if (S_ISDIR(st.st_mode)) {
    rc = mkdirat(to, name, perm);
    if (rc == 0) src = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (src >= 0) dst = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    rc = dst < 0 ? -1 : CopyTree(src, dst, depth + 1);
  } else if (S_ISREG(st.st_mode)) {
    src = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (src >= 0) dst = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm);
    rc = dst < 0 ? -1 : 0;
    for (off_t left = st.st_size; rc == 0 && left > 0;) {
      ssize_t n = sendfile(dst, src, nullptr, static_cast<size_t>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) rc = -1;
      if (n <= 0) break;  // EOF: the file shrank meanwhile
      left -= n;
    }
  } else if (S_ISLNK(st.st_mode)) {
    char link[PATH_MAX];
    ssize_t n = readlinkat(from, name, link, sizeof(link) - 1);
    if (n < 0) return -1;
    link[n] = '\0';
    rc = symlinkat(link, to, name);
  } else {
    rc = mknodat(to, name, st.st_mode, st.st_rdev);
  }
  int e = errno;
  if (src >= 0) close(src);
  if (dst >= 0) close(dst);
  errno = e;
  if (rc != 0) return -1;
  // The owner, then the mode again: mkdir/open applied the umask and chown clears setuid/setgid.
  if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) return -1;
  if (!S_ISLNK(st.st_mode) && fchmodat(to, name, perm, 0) != 0) return -1;
  return 0;
}

int CopyTree(int from, int to, int depth) {
  if (depth > 64) {
    errno = ELOOP;
    return -1;
  }
  alignas(8) char buf[4096];
  for (;;) {
    long n = syscall(SYS_getdents64, from, buf, sizeof(buf));
    if (n <= 0) return static_cast<int>(n);
    for (long off = 0; off < n;) {
      // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
      uint16_t reclen;
      memcpy(&reclen, buf + off + 16, sizeof(reclen));
      const char* name = buf + off + 19;
      off += reclen;
      if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
      if (CopyEntry(from, to, name, depth) != 0) return -1;
    }
  }
}

// Mounts onto the directory `under` (an O_PATH fd of `target` in the root),
// then copies what it held into the new mount. The mount's root gets the
// directory's mode and owner only if the image had that directory
// (`under_from_image`): one made for the mount has nothing to keep, and the
// mount's own options (podman --tmpfs /x:mode=700) stand.
int MountCopyingUp(int rootfd, const char* target, int under, bool under_from_image, const char* source, const char* fstype,
                   unsigned long flags, const char* data) {
  char fdpath[32];
  int from = openat(under, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (from < 0) return -1;
  int rc = mount(source, FdPath(under, fdpath), fstype, flags, data);
  int to = rc == 0 ? OpenInRoot(rootfd, target, O_RDONLY | O_DIRECTORY) : -1;
  struct stat st {};
  if (to < 0) {
    rc = -1;
  } else if (!under_from_image) {
    rc = 0;
  } else {
    rc = fstat(from, &st) != 0 || fchown(to, st.st_uid, st.st_gid) != 0 || fchmod(to, st.st_mode & 07777) != 0 ? -1 : CopyTree(from, to, 0);
  }
  int e = errno;
  close(from);
  if (to >= 0) close(to);
  errno = e;
  return rc;
}

// Runs one mount step against `rootfd`; returns 0 or -1/errno.
int RunMountStep(int rootfd, const MountStep& s) {
  char fdpath[32];
  char base[PATH_MAX];
  const char* target = s.target.c_str();
  const char* data = s.has_data ? s.data.c_str() : nullptr;
  int fd = -1, rc = 0;

  switch (s.op) {
    case kMount:
    case kBindDevice: {
      bool target_in_image = false;
      if (s.copy_up) {
        int probe = OpenInRoot(rootfd, target, O_PATH);
        target_in_image = probe >= 0;
        if (probe >= 0) close(probe);
      }
      if (s.no_symlinks) {
        // procfs and sysfs only on a path without symlinks: an image that
        // points /proc elsewhere (CVE-2019-16884 class) gets an error, not a
        // procfs mounted where it chose.
        int made = MkdirAllInRoot(rootfd, target, s.create);
        if (made >= 0) close(made);
        fd = OpenAt2(rootfd, target, O_PATH | O_CLOEXEC, kInRoot | RESOLVE_NO_SYMLINKS);
      } else {
        fd = MkdirAllInRoot(rootfd, target, s.create);
      }
      if (fd < 0) return -1;
      const char* fstype = s.has_fstype ? s.fstype.c_str() : nullptr;
      unsigned long flags = static_cast<unsigned long>(s.flags);
      if (s.op == kBindDevice) {
        fstype = nullptr;
        flags = MS_BIND;
      }
      if (s.copy_up) {
        rc = MountCopyingUp(rootfd, target, fd, target_in_image, s.has_source ? s.source.c_str() : "none", fstype, flags, data);
        break;
      }
      rc = mount(s.has_source ? s.source.c_str() : "none", FdPath(fd, fdpath), fstype, flags, data);
      break;
    }
    case kRemount:
      fd = OpenInRoot(rootfd, target, O_PATH);
      if (fd < 0) return -1;
      rc = RemountKeepingLockedFlags(FdPath(fd, fdpath), static_cast<unsigned long>(s.flags), data);
      break;
    case kPropagate:
      fd = OpenInRoot(rootfd, target, O_PATH);
      if (fd < 0) return -1;
      rc = mount("", FdPath(fd, fdpath), nullptr, static_cast<unsigned long>(s.flags), nullptr);
      break;
    case kMknod: {
      fd = OpenParentInRoot(rootfd, target, base);
      if (fd < 0) return -1;
      dev_t dev = makedev(s.major, s.minor);
      rc = mknodat(fd, base, s.mode, dev);
      if (rc < 0 && errno == EEXIST) {
        // The image has something there: replace it unless it is a directory.
        struct stat st {};
        if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
            unlinkat(fd, base, 0) == 0) {
          rc = mknodat(fd, base, s.mode, dev);
        } else {
          errno = EEXIST;
        }
      }
      if (rc == 0) rc = fchownat(fd, base, s.uid, s.gid, AT_SYMLINK_NOFOLLOW);
      break;
    }
    case kSymlink:
      fd = OpenParentInRoot(rootfd, target, base);
      if (fd < 0) return -1;
      rc = symlinkat(s.source.c_str(), fd, base);
      if (rc < 0 && errno == EEXIST) rc = 0;
      break;
    case kMask: {
      fd = OpenInRoot(rootfd, target, O_PATH);
      if (fd < 0) return errno == ENOENT ? 0 : -1;
      struct stat st {};
      if (fstat(fd, &st) != 0) {
        rc = -1;
        break;
      }
      if (S_ISDIR(st.st_mode)) {
        rc = mount("tmpfs", FdPath(fd, fdpath), "tmpfs", MS_RDONLY, nullptr);
      } else {
        // The container's /dev/null must really be the null device: an image
        // whose /dev/null points at a host file would otherwise get that file
        // bound over the masked path (CVE-2025-31133 class).
        int null_fd = OpenInRoot(rootfd, "/dev/null", O_PATH);
        struct stat ns {};
        if (null_fd < 0 || fstat(null_fd, &ns) != 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
          if (null_fd >= 0) close(null_fd);
          close(fd);
          errno = EXDEV;
          return -1;
        }
        char nullpath[32];
        rc = mount(FdPath(null_fd, nullpath), FdPath(fd, fdpath), nullptr, MS_BIND, nullptr);
        int e = errno;
        close(null_fd);
        errno = e;
      }
      break;
    }
    case kReadOnly: {
      fd = OpenInRoot(rootfd, target, O_PATH);
      if (fd < 0) return errno == ENOENT ? 0 : -1;
      FdPath(fd, fdpath);
      rc = mount(fdpath, fdpath, nullptr, MS_BIND | MS_REC, nullptr);
      if (rc != 0) break;
      close(fd);
      // Reopen: the old fd names the directory under the new bind mount.
      fd = OpenInRoot(rootfd, target, O_PATH);
      if (fd < 0) return -1;
      rc = RemountKeepingLockedFlags(FdPath(fd, fdpath), MS_BIND | MS_RDONLY | MS_REC, nullptr);
      break;
    }
    case kMkdir:
      // A directory, or the empty file a later bind mount needs (`create`).
      fd = MkdirAllInRoot(rootfd, target, s.create == kCreateFile ? kCreateFile : kCreateDirectory);
      if (fd < 0) return -1;
      break;
    case kDetachedBind:
      fd = MkdirAllInRoot(rootfd, target, s.create);
      if (fd < 0) return -1;
      if (s.tree_fd >= 0) {
        // The source the parent opened in our mount namespace (SourcesFromParent).
        char source_path[32];
        rc = mount(FdPath(s.tree_fd, source_path), FdPath(fd, fdpath), nullptr, static_cast<unsigned long>(s.flags), nullptr);
        int e = errno;
        close(s.tree_fd);
        errno = e;
      } else {
        rc = mount(s.source.c_str(), FdPath(fd, fdpath), nullptr, static_cast<unsigned long>(s.flags), nullptr);
      }
      break;
    case kIdmappedBind: {
      // The id-mapped clone the parent made goes onto the target, which is
      // resolved inside the root like every other mount target.
      fd = MkdirAllInRoot(rootfd, target, s.create);
      if (fd < 0) return -1;
      rc = static_cast<int>(syscall(SYS_move_mount, s.tree_fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
      break;
    }
    case kSetAttr: {
      fd = OpenInRoot(rootfd, target, O_PATH);
      if (fd < 0) return -1;
      struct mount_attr attr {};
      attr.attr_set = s.attr_set;
      attr.attr_clr = s.attr_clr;
      rc = static_cast<int>(syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (s.recursive ? AT_RECURSIVE : 0),
                                    &attr, sizeof(attr)));
      break;
    }
    default:
      errno = EINVAL;
      return -1;
  }
  int e = errno;
  if (fd >= 0) close(fd);
  errno = e;
  return rc;
}

// Opens /proc/sys/<key> for writing, refusing anything that is not procfs:
// a rootfs or mount that puts something else there must not receive the write.
int OpenSysctl(const char* relative) {
  char path[PATH_MAX];
  if (!JoinPath(path, sizeof(path), "/proc/sys", relative)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = OpenAt2(AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NOCTTY,
                   RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) return -1;
  struct statfs fs {};
  if (fstatfs(fd, &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
    close(fd);
    errno = EXDEV;
    return -1;
  }
  return fd;
}

bool IsExecutableFile(int dirfd, const char* path) {
  struct stat st {};
  return fstatat(dirfd, path, &st, 0) == 0 && !S_ISDIR(st.st_mode) && (st.st_mode & 0111) != 0;
}

// runc's rule (Go's exec.LookPath): a name with a slash is used as it is
// (relative to the cwd); otherwise the first executable in the container's PATH.
// The error texts are runc's, which podman maps to exit codes 127 and 126.
void LookUpExecutable(Child& c) {
  const ProcessPlan& p = c.plan->process;
  const char* name = p.args[0].c_str();
  int cwdfd = open(p.cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwdfd < 0) Fail(c, kPhaseCwd, 0, errno, p.cwd.c_str());
  if (strchr(name, '/') != nullptr) {
    struct stat st {};
    if (fstatat(cwdfd, name, &st, 0) != 0) Fail(c, kPhaseExecLookup, 1, errno, name);
    if (S_ISDIR(st.st_mode) || (st.st_mode & 0111) == 0) Fail(c, kPhaseExecLookup, 1, EACCES, name);
    size_t n = strlen(name);
    if (n >= sizeof(c.exec_path)) Fail(c, kPhaseExecLookup, 1, ENAMETOOLONG, name);
    memcpy(c.exec_path, name, n + 1);
    close(cwdfd);
    return;
  }
  for (const std::string& dir : p.search_path) {
    const char* d = dir.empty() ? "." : dir.c_str();
    if (!JoinPath(c.exec_path, sizeof(c.exec_path), d, name)) continue;
    if (IsExecutableFile(cwdfd, c.exec_path)) {
      close(cwdfd);
      return;
    }
  }
  Fail(c, kPhaseExecLookup, 0, ENOENT, name);
}

// Loads the seccomp program. Without no_new_privs this needs CAP_SYS_ADMIN,
// so it happens before the capabilities are dropped; with it, as late as
// possible: just before execve, so the filter constrains as little of our
// own setup as it can (runc's rule).
//
// With SECCOMP_FILTER_FLAG_NEW_LISTENER (SCMP_ACT_NOTIFY rules) the kernel
// returns the listener fd: it goes out on `channel` at once, before any other
// syscall the filter could hold for an agent that does not have it yet. As a
// failure-report record on the status socket (`report`), or as one NUL byte
// on the `start` connection; the runtime passes it on to listenerPath.
int LoadSeccomp(const InitPlan& plan, int channel, bool report) {
  if (plan.seccomp_filter.empty()) return 0;
  struct sock_fprog prog {};
  prog.len = static_cast<unsigned short>(plan.seccomp_filter.size() / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<uint8_t*>(plan.seccomp_filter.data()));
  int rc = static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, plan.seccomp_flags, &prog));
  if (rc < 0 || (plan.seccomp_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) == 0) return rc < 0 ? -1 : 0;
  InitReport listener {};
  listener.kind = kReportSeccompListener;
  static const char kMarker[1] = {'\0'};
  long sent = report ? SendWithFd(channel, rc, &listener, sizeof(listener)) : SendWithFd(channel, rc, kMarker, sizeof(kMarker));
  int e = errno;
  close(rc);
  errno = e;
  return sent < 0 ? -1 : 0;
}

// process.terminal: a new pty of the container's devpts. Its peer becomes
// stdin, stdout, stderr and the controlling terminal, and is bind-mounted on
// /dev/console (config-linux.md "Default Devices"); the master goes to the
// console socket with SCM_RIGHTS, as runc sends it.
void SetUpConsole(Child& c, int rootfd) {
  const InitPlan& plan = *c.plan;
  int master = OpenInRoot(rootfd, "/dev/ptmx", O_RDWR | O_NOCTTY);
  if (master < 0) Fail(c, kPhaseConsole, 0, errno);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) Fail(c, kPhaseConsole, 1, errno);
  unsigned int index = 0;
  if (ioctl(master, TIOCGPTN, &index) != 0) Fail(c, kPhaseConsole, 2, errno);
  // The peer through the master, never by a path the container could swap.
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) Fail(c, kPhaseConsole, 3, errno);
  if (plan.console_rows != 0 || plan.console_cols != 0) {
    struct winsize ws {};
    ws.ws_row = plan.console_rows;
    ws.ws_col = plan.console_cols;
    if (ioctl(master, TIOCSWINSZ, &ws) != 0) Fail(c, kPhaseConsole, 4, errno);
  }
  if (!plan.join_only) {
    char slave_path[32], console_path[32];
    int console = MkdirAllInRoot(rootfd, "/dev/console", kCreateFile);
    if (console < 0 || mount(FdPath(slave, slave_path), FdPath(console, console_path), nullptr, MS_BIND, nullptr) != 0)
      Fail(c, kPhaseConsole, 5, errno);
    close(console);
  }
  if (fchown(slave, plan.process.uid, static_cast<gid_t>(-1)) != 0) Fail(c, kPhaseConsole, 6, errno);

  static const char kName[] = "/dev/ptmx";
  if (SendWithFd(c.console_socket_fd, master, kName, sizeof(kName) - 1) < 0) Fail(c, kPhaseConsoleSocket, 1, errno);
  close(master);
  close(c.console_socket_fd);

  // Already a session leader without a controlling terminal (see ChildMain).
  if (ioctl(slave, TIOCSCTTY, 0) != 0) Fail(c, kPhaseConsole, 8, errno);
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0) Fail(c, kPhaseConsole, 9, errno);
  close(slave);
}

// The LSM label the program gets at execve (AppArmor: "exec <profile>";
// SELinux: the context), written to the first attr file that exists, on the
// container's procfs only (as the sysctls: something else mounted over /proc
// must not receive it).
int WriteExecLabel(const ProcessPlan& p) {
  int fd = -1;
  for (const std::string& name : p.exec_label_files) {
    char path[PATH_MAX];
    if (!JoinPath(path, sizeof(path), "/proc/thread-self", name.c_str())) {
      errno = ENAMETOOLONG;
      return -1;
    }
    fd = OpenAt2(AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NOCTTY, RESOLVE_NO_MAGICLINKS);
    if (fd >= 0 || errno != ENOENT) break;
  }
  if (fd < 0) return -1;
  struct statfs fs {};
  int rc = -1;
  if (fstatfs(fd, &fs) != 0) {
    rc = -1;
  } else if (fs.f_type != PROC_SUPER_MAGIC) {
    errno = EXDEV;
  } else {
    rc = write(fd, p.exec_label.data(), p.exec_label.size()) == static_cast<ssize_t>(p.exec_label.size()) ? 0 : -1;
  }
  int e = errno;
  close(fd);
  errno = e;
  return rc;
}

// Personality, scheduling, I/O priority, the final CPU affinity and the LSM
// label for exec: while
// still privileged (real-time policies, negative nice and the RT I/O class
// need CAP_SYS_NICE / CAP_SYS_ADMIN) and before seccomp, which may deny them.
void ApplyProcessAttributes(Child& c) {
  const ProcessPlan& p = c.plan->process;
  if (p.has_personality && syscall(SYS_personality, p.personality) < 0) Fail(c, kPhasePersonality, 0, errno);
  if (p.has_scheduler && syscall(SYS_sched_setattr, 0, &p.scheduler, 0) != 0) Fail(c, kPhaseScheduler, 0, errno);
  constexpr int kIoprioWhoProcess = 1;
  if (p.has_io_priority && syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, p.io_priority) != 0) Fail(c, kPhaseIoPriority, 0, errno);
  // config.md execCPUAffinity.final: the affinity after the move into the container's cgroup.
  if (p.has_final_cpus && sched_setaffinity(0, sizeof(p.final_cpus), &p.final_cpus) != 0) Fail(c, kPhaseCpuAffinity, 1, errno);
  if (!p.exec_label_files.empty() && WriteExecLabel(p) != 0) Fail(c, kPhaseSecurityLabel, 0, errno);
}

void ApplyIdentity(Child& c) {
  const ProcessPlan& p = c.plan->process;
  const Capabilities& caps = p.caps;
  if (caps.present) {
    // Keep the permitted set across setuid so capset can grant what the config asks for.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Fail(c, kPhaseCapabilities, 0, errno);
    for (int cap = 0; cap <= p.last_cap; cap++) {
      if ((caps.bounding >> cap) & 1) continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) Fail(c, kPhaseCapabilities, 1, errno);
    }
  }
  if (!c.plan->setgroups_deny) {
    // The vector holds uint32_t, which is gid_t on Linux.
    if (SetGroups(p.additional_gids.size(), reinterpret_cast<const gid_t*>(p.additional_gids.data())) != 0)
      Fail(c, kPhaseIdentity, 0, errno);
  }
  if (SetResGid(p.gid) != 0) Fail(c, kPhaseIdentity, 1, errno);
  if (SetResUid(p.uid) != 0) Fail(c, kPhaseIdentity, 2, errno);
  if (caps.present) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) Fail(c, kPhaseCapabilities, 0, errno);
    if (CapSet(caps.effective, caps.permitted, caps.inheritable) != 0) Fail(c, kPhaseCapabilities, 2, errno);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= p.last_cap; cap++) {
      if (((caps.ambient >> cap) & 1) == 0) continue;
      // Like runc: an ambient capability the kernel refuses (not also
      // permitted and inheritable) is not fatal.
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
  }
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(c, kPhaseNoNewPrivileges, 0, errno);
}

// ---- startContainer hooks, run by the init ----

// Appends text to a fixed buffer, truncating; no allocation.
struct TextBuffer {
  char data[4096];
  size_t len = 0;
  void Add(const char* text, size_t n) {
    if (n > sizeof(data) - 1 - len) n = sizeof(data) - 1 - len;
    memcpy(data + len, text, n);
    len += n;
    data[len] = '\0';
  }
  void Add(const char* text) { Add(text, strlen(text)); }
  void AddNumber(long v) {
    char digits[24];
    FormatDecimal(v, digits);
    Add(digits);
  }
};

// Runs one hook to its end or its timeout: its stdin the state, its stdout
// and stderr collected into `output`. Returns the wait status, or -1 with
// errno when it could not be started; sets *timed_out.
int RunOneHook(const HookPlan& hook, const char* state_parts[3], TextBuffer& output, bool* timed_out) {
  *timed_out = false;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  if (pipe2(out, O_CLOEXEC) != 0) {
    int e = errno;
    close(in[0]);
    close(in[1]);
    errno = e;
    return -1;
  }
  int pidfd = -1;
  struct clone_args args {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = Clone3(&args);
  if (pid == 0) {
    // Only the state, the output pipe, and nothing else of the init's.
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) _exit(126);
    CloseRange(3, ~0u);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(hook.path.c_str(), const_cast<char* const*>(hook.argv.data()), const_cast<char* const*>(hook.envp.data()));
    const char* reason = strerrordesc_np(errno);
    static const char kPrefix[] = "ocirt: exec hook: ";
    ssize_t ignored = write(2, kPrefix, sizeof(kPrefix) - 1);
    ignored = write(2, reason, strlen(reason));
    (void)ignored;
    _exit(127);
  }
  int clone_errno = errno;
  close(in[0]);
  close(out[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    errno = clone_errno;
    return -1;
  }

  const int64_t deadline = hook.timeout_s > 0 ? MonotonicMs() + static_cast<int64_t>(hook.timeout_s) * 1000 : -1;
  struct iovec state[3];
  for (int i = 0; i < 3; i++) state[i] = {const_cast<char*>(state_parts[i]), strlen(state_parts[i])};
  *timed_out = PumpHook(
      pidfd, in[1], out[0], state, 3, deadline, [](void* context, const char* bytes, size_t n) {
        static_cast<TextBuffer*>(context)->Add(bytes, n);
      },
      &output);
  int status = 0;
  while (waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {}
  close(pidfd);
  // A hook that closed its stdin early made our write raise SIGPIPE, which
  // is blocked here: take it, or the program would get it at execve.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  struct timespec no_wait {};
  while (sigtimedwait(&pipe_signal, nullptr, &no_wait) == SIGPIPE) {}
  return status;
}

// runtime.md lifecycle step 7 as runc does it: the startContainer hooks run
// inside the container, from the init itself, once its identity,
// capabilities, no_new_privs and seccomp filter are in place and right
// before the program's execve. Their paths resolve in the container's root,
// so a hook may name a binary of the image: it gets nothing the container's
// process does not get (no "shocker" open_by_handle_at with ocirt's
// CAP_DAC_READ_SEARCH, no escape from the cgroup or the filter). On failure
// the message for `start` (as src/container/hooks.ts words it) goes to conn.
int RunStartContainerHooks(Child& c, int conn) {
  const InitPlan& plan = *c.plan;
  char pid_text[24];
  FormatDecimal(getpid(), pid_text);
  const char* state_parts[3] = {plan.hook_state_before_pid.c_str(), pid_text, plan.hook_state_after_pid.c_str()};
  for (size_t i = 0; i < plan.start_container_hooks.size(); i++) {
    const HookPlan& hook = plan.start_container_hooks[i];
    TextBuffer output;
    bool timed_out = false;
    int status = RunOneHook(hook, state_parts, output, &timed_out);
    if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !timed_out) continue;
    TextBuffer message;
    message.Add("hooks.startContainer[");
    message.AddNumber(static_cast<long>(i));
    message.Add("] (");
    message.Add(hook.path.c_str());
    message.Add(") ");
    if (status < 0) {
      message.Add("could not be started: ");
      message.Add(strerrordesc_np(errno));
    } else if (timed_out) {
      message.Add("did not finish within its timeout of ");
      message.AddNumber(hook.timeout_s);
      message.Add("s and was killed");
    } else if (WIFSIGNALED(status)) {
      message.Add("was killed by signal ");
      message.AddNumber(WTERMSIG(status));
    } else {
      message.Add("exited with status ");
      message.AddNumber(WEXITSTATUS(status));
    }
    size_t start = 0, end = output.len;
    while (start < end && (output.data[start] == ' ' || output.data[start] == '\n' || output.data[start] == '\t' || output.data[start] == '\r')) start++;
    while (end > start && (output.data[end - 1] == ' ' || output.data[end - 1] == '\n' || output.data[end - 1] == '\t' || output.data[end - 1] == '\r')) end--;
    if (end > start) {
      message.Add(": ");
      message.Add(output.data + start, end - start);
    }
    ssize_t ignored = write(conn, message.data, message.len);
    (void)ignored;
    return -1;
  }
  return 0;
}

// The last step: close every fd but stdio and the preserved ones, enter the
// cwd, load seccomp (with no_new_privs), unblock signals and execve. A
// failure goes to report_fd: as text for `start`, or as a failure record for
// the parent of `exec`.
[[noreturn]] void ExecUserProgram(Child& c, int conn, bool structured_report) {
  InitPlan& plan = *c.plan;
  const unsigned first_closed = 3u + static_cast<unsigned>(plan.preserve_fds);
  if (static_cast<unsigned>(conn) < first_closed) {
    // A gap in the preserved range gave the connection a number the program
    // would inherit: move it above the range.
    int moved = fcntl(conn, F_DUPFD_CLOEXEC, static_cast<int>(first_closed));
    if (moved < 0) _exit(127);
    close(conn);
    conn = moved;
    if (structured_report) c.status_fd = moved;
  }
  // Only stdio, the preserved fds and the connection to `start` stay open
  // (runtime-linux.md "File descriptors"). The cwd is entered only after
  // this, so no host directory fd can become the cwd (CVE-2024-21626).
  if (static_cast<unsigned>(conn) > first_closed) CloseRange(first_closed, static_cast<unsigned>(conn) - 1);
  CloseRange(static_cast<unsigned>(conn) + 1, ~0u);
  for (int fd = 0; fd < static_cast<int>(first_closed); fd++) fcntl(fd, F_SETFD, 0);

  const char* error = nullptr;
  int32_t phase = 0;
  int err = 0;
  if (chdir(plan.process.cwd.c_str()) != 0) {
    err = errno;
    phase = kPhaseCwd;
    error = "chdir to cwd set in config.json failed";
  } else if (plan.process.no_new_privileges && LoadSeccomp(plan, conn, structured_report) != 0) {
    err = errno;
    phase = kPhaseSeccomp;
    error = "loading the seccomp filter failed";
  } else if (!structured_report && !plan.start_container_hooks.empty() && RunStartContainerHooks(c, conn) != 0) {
    _exit(127);  // its message is on conn
  } else {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(c.exec_path, const_cast<char* const*>(plan.process.argv.data()),
           const_cast<char* const*>(plan.process.envp.data()));
    err = errno;
    phase = kPhaseExec;
    error = "exec failed";
  }
  if (structured_report) Fail(c, phase, 0, err, phase == kPhaseCwd ? plan.process.cwd.c_str() : c.exec_path);
  // Tell `start` what went wrong; it is waiting on the other end.
  const char* reason = strerrordesc_np(err);
  ssize_t ignored = write(conn, error, strlen(error));
  ignored = write(conn, ": ", 2);
  ignored = write(conn, reason != nullptr ? reason : "unknown error", strlen(reason != nullptr ? reason : "unknown error"));
  (void)ignored;
  _exit(127);
}

void ExitOnSignal(int sig) { _exit(128 + sig); }

void SetUpRootfs(Child& c);
[[noreturn]] void WaitForStartThenExec(Child& c);

// A config without a mount namespace: the container inherits the runtime's
// (config-linux.md "Namespaces"). The rootfs was set up as usual in a new
// namespace, so nothing was mounted on the host; now the init takes a
// detached copy of that tree (open_tree), rejoins the runtime's namespace and
// makes the copy its root. The copy is in no namespace's mount table and
// goes away with the container's last process: nothing is left to undo.
void ReturnToRuntimeMountNamespace(Child& c) {
  InitPlan& plan = *c.plan;
  int tree = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (tree < 0) Fail(c, kPhasePivot, 10, errno);
  if (setns(plan.runtime_mnt_ns_fd, CLONE_NEWNS) != 0) Fail(c, kPhasePivot, 11, errno);
  close(plan.runtime_mnt_ns_fd);
  if (fchdir(tree) != 0 || chroot(".") != 0 || chdir("/") != 0) Fail(c, kPhasePivot, 12, errno);
  close(tree);
}

// The cloned child's only job (CVE-2019-5736 class): become the sealed stage
// (native/stage_image.cc) while still in ocirt's namespaces. The stage then
// clones the init with the new namespaces, so no process of a container can
// ever see this copy of the ocirt executable as /proc/PID/exe and reopen it
// for writing. The exec happens here, in ocirt's user namespace, and never
// in the container's: an mm exec'd in a user namespace may be ptraced by
// the capabilities of that namespace (the container's root) even when it
// is not dumpable. Still a copy of the JS runtime: raw syscalls, no allocator.
[[noreturn]] void ExecStage(Child& c, int stage_fd, int plan_fd) {
  InitPlan& plan = *c.plan;
  close(c.parent_status_fd);
  close(c.parent_sync_fd);
  if (c.parent_recorded_fd >= 0) close(c.parent_recorded_fd);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // What the stage inherits keeps its number; it marks them close-on-exec again.
  // Stdio and the preserved fds go on to the program, even where the JS
  // runtime made them close-on-exec (node does for its stdio pipes).
  for (int fd = 0; fd < 3 + plan.preserve_fds; fd++) fcntl(fd, F_SETFD, 0);
  int inherited[] = {c.status_fd, c.sync_fd, c.listen_fd, c.console_socket_fd, c.recorded_fd, plan.join_pid_fd, plan.runtime_mnt_ns_fd, plan_fd};
  for (int fd : inherited)
    if (fd >= 0) fcntl(fd, F_SETFD, 0);
  for (const auto& j : plan.joins)
    if (j.fd >= 0) fcntl(j.fd, F_SETFD, 0);
  for (const auto& s : plan.mount_steps)
    if (s.tree_fd >= 0) fcntl(s.tree_fd, F_SETFD, 0);
  char plan_fd_text[24];
  FormatDecimal(plan_fd, plan_fd_text);
  char name[] = "ocirt-stage";
  char* argv[] = {name, plan_fd_text, nullptr};
  char* envp[] = {nullptr};
  syscall(SYS_execveat, stage_fd, "", argv, envp, AT_EMPTY_PATH);
  Fail(c, kPhaseStage, 0, errno);
}

[[noreturn]] void ChildMain(Child& c) {
  InitPlan& plan = *c.plan;

  // Signals were blocked before clone3, so no handler of the JS runtime can
  // run here. Reset every disposition: the runtime ignores SIGPIPE and
  // SIGXFSZ, and ignored signals would survive execve.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, nullptr);

  // Only the parent reads the status pipe and writes the sync pipe; keeping
  // those ends would also hand them to the program if they fell inside the
  // preserved fd range.
  close(c.parent_status_fd);
  close(c.parent_sync_fd);
  if (c.parent_recorded_fd >= 0) close(c.parent_recorded_fd);

  // Die with the parent while being set up; cleared before reporting ready.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  umask(0);
  // Not dumpable: processes already in the container cannot open our
  // /proc/PID/exe (the ocirt binary) or our fds (CVE-2019-5736 class).
  // An unprivileged parent (rootless) could not open our /proc files then
  // (to write the id maps, or for hooks to join our namespaces): the plan
  // says how long its init stays dumpable (see InitPlan::dumpable_until).
  if (plan.dumpable_until == kDumpableNever) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  // Wait for the parent to write the id maps and oom_score_adj.
  char go = 0;
  ssize_t n;
  do { n = read(c.sync_fd, &go, 1); } while (n < 0 && errno == EINTR);
  if (n != 1) _exit(1);
  for (size_t i = 0; i < plan.mount_steps.size() && SourcesFromParent(plan); i++) {
    MountStep& s = plan.mount_steps[i];
    if (s.op != kDetachedBind) continue;
    char byte = 0;
    if (ReceiveWithFd(c.status_fd, &byte, 1, &s.tree_fd) != 1 || s.tree_fd < 0) Fail(c, kPhaseMountStep, static_cast<int32_t>(i), EBADF);
  }
  if (!plan.pause_before_pivot) close(c.sync_fd);

  for (size_t i = 0; i < plan.joins.size(); i++) {
    if (setns(plan.joins[i].fd, plan.joins[i].type) != 0) Fail(c, kPhaseSetns, static_cast<int32_t>(i), errno);
    close(plan.joins[i].fd);
  }
  if (plan.unshare_flags != 0 && unshare(static_cast<int>(plan.unshare_flags)) != 0)
    Fail(c, kPhaseUnshare, 0, errno);
  if (!plan.chroot_to.empty() && (chroot(plan.chroot_to.c_str()) != 0 || chdir("/") != 0)) Fail(c, kPhasePivot, 9, errno);
  if (!plan.time_offsets.empty()) {
    // Offsets can be written only before any process has entered the namespace.
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, plan.time_offsets.data(), plan.time_offsets.size()) != static_cast<ssize_t>(plan.time_offsets.size()))
      Fail(c, kPhaseTimeOffsets, 0, errno);
    close(fd);
  }
  if (plan.fork_after_unshare) {
    // The unshared pid (or time) namespace is entered by children only: the
    // child goes on as the container's process; this one tells the parent its
    // pid (valid there: we are still in the parent's pid namespace) and exits.
    long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child < 0) Fail(c, kPhaseFork, 0, errno);
    if (child > 0) {
      InitReport forked {};
      forked.kind = kReportForked;
      forked.step = static_cast<int32_t>(child);
      ssize_t ignored = write(c.status_fd, &forked, sizeof(forked));
      (void)ignored;
      _exit(0);
    }
    // pdeathsig is not inherited; the parent it would watch is exiting anyway.
    // If ocirt dies now, the closed pipes end this process (EOF or SIGPIPE).
  }
  // As runc (nsexec.c, for init and exec alike): the container's process leads
  // its own session and process group, so that a client signalling that group
  // (conmon kills it on `podman run --timeout`) never hits the client itself.
  if (setsid() < 0) Fail(c, kPhaseSession, 0, errno);
  bool user_namespace = ((plan.clone_flags | plan.unshare_flags) & CLONE_NEWUSER) != 0;
  for (const auto& j : plan.joins) user_namespace |= j.type == CLONE_NEWUSER;
  if (user_namespace) {
    // Become root of the (new or joined) user namespace: the maps are written by now.
    if (SetResGid(0) != 0 || SetResUid(0) != 0) Fail(c, kPhaseIdentity, 3, errno);
  }

  if (!plan.session_keyring.empty() &&
      syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, plan.session_keyring.c_str(), 0, 0, 0) < 0 && errno != ENOSYS)
    Fail(c, kPhaseKeyring, 0, errno);

  if (plan.has_hostname && sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
    Fail(c, kPhaseHostname, 0, errno);
  if (plan.has_domainname && setdomainname(plan.domainname.data(), plan.domainname.size()) != 0)
    Fail(c, kPhaseHostname, 1, errno);

  if (!plan.join_only) SetUpRootfs(c);
  if (plan.terminal) {
    int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) Fail(c, kPhaseConsole, 10, errno);
    SetUpConsole(c, rootfd);
    close(rootfd);
  }
  if (plan.inherit_mount_namespace) ReturnToRuntimeMountNamespace(c);

  for (size_t i = 0; i < plan.rlimits.size(); i++) {
    struct rlimit rl {};
    rl.rlim_cur = plan.rlimits[i].soft;
    rl.rlim_max = plan.rlimits[i].hard;
    if (setrlimit(static_cast<__rlimit_resource>(plan.rlimits[i].resource), &rl) != 0)
      Fail(c, kPhaseRlimit, static_cast<int32_t>(i), errno);
  }

  ApplyProcessAttributes(c);
  if (!plan.process.no_new_privileges && LoadSeccomp(plan, c.status_fd, true) != 0) Fail(c, kPhaseSeccomp, 0, errno);
  ApplyIdentity(c);
  umask(plan.process.umask >= 0 ? static_cast<mode_t>(plan.process.umask) : 022);
  LookUpExecutable(c);

  if (plan.exec_immediately) {
    // `exec`: no start to wait for. The status pipe closes on execve (EOF is
    // success for the parent) or carries a failure record.
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    ExecUserProgram(c, c.status_fd, true);
  }
  WaitForStartThenExec(c);
}

// An O_PATH fd of the root of the mount that holds `path`: the last
// directory on the way up from `path` whose ".." is on the same mount.
int OpenMountRootOf(const char* path) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (int depth = 0; fd >= 0 && depth < PATH_MAX / 2; depth++) {
    int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct statx here {
    }, above {};
    if (up < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &here) != 0 ||
        statx(up, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &above) != 0) {
      int e = errno;
      close(fd);
      if (up >= 0) close(up);
      errno = e;
      return -1;
    }
    // A different mount above, or "/" (whose ".." is itself): fd is that mount's root.
    bool at_top = here.stx_mnt_id != above.stx_mnt_id ||
                  (here.stx_ino == above.stx_ino && here.stx_dev_major == above.stx_dev_major && here.stx_dev_minor == above.stx_dev_minor);
    if (at_top) {
      close(up);
      return fd;
    }
    close(fd);
    fd = up;
  }
  if (fd >= 0) {
    close(fd);
    errno = ELOOP;
  }
  return -1;
}

// Root propagation, the rootfs bind mount, the mount steps, (the create
// hooks,) pivot_root, sysctls and the steps after it.
void SetUpRootfs(Child& c) {
  InitPlan& plan = *c.plan;
  char go = 0;
  ssize_t n;
  // "/" gets rootfsPropagation, recursive slave by default (runc's prepareRoot):
  // with the default nothing mounted from here on propagates back to the host.
  const unsigned long root_propagation = static_cast<unsigned long>(plan.root_propagation);
  if (mount("", "/", nullptr, root_propagation, nullptr) != 0) Fail(c, kPhaseRootPropagation, 0, errno);
  if ((root_propagation & MS_REC) == 0 || (root_propagation & MS_SHARED) != 0) {
    // The mount that holds the rootfs may still be shared with the host (a
    // shared rootfsPropagation, or one that is not recursive): made private,
    // the rootfs bind below and every mount in it stay in this namespace, and
    // pivot_root accepts it (it refuses a new root whose parent is shared).
    int holder = OpenMountRootOf(plan.rootfs.c_str());
    char holder_path[32];
    if (holder < 0 || mount("", FdPath(holder, holder_path), nullptr, MS_PRIVATE, nullptr) != 0)
      Fail(c, kPhaseRootPropagation, 1, errno);
    close(holder);
  }
  const char* rootfs = plan.rootfs.c_str();
  if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) != 0) Fail(c, kPhaseRootBind, 0, errno);
  int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) Fail(c, kPhaseRootBind, 1, errno);

  for (size_t i = 0; i < plan.mount_steps.size(); i++) {
    if (RunMountStep(rootfd, plan.mount_steps[i]) != 0) Fail(c, kPhaseMountStep, static_cast<int32_t>(i), errno);
  }

  if (plan.pause_before_pivot) {
    // The environment is made: the parent runs prestart, createRuntime and
    // createContainer hooks now (runtime.md lifecycle steps 3-5), before pivot_root.
    InitReport paused {};
    paused.kind = kReportPaused;
    if (write(c.status_fd, &paused, sizeof(paused)) != static_cast<ssize_t>(sizeof(paused))) _exit(1);
    do { n = read(c.sync_fd, &go, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    close(c.sync_fd);
  }

  if (plan.dumpable_until == kDumpableUntilPivot) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (fchdir(rootfd) != 0) Fail(c, kPhasePivot, 0, errno);
  if (plan.no_pivot) {
    for (const std::string& mount_point : plan.no_pivot_detach) {
      const char* p = mount_point.c_str();
      // Slave first, so that the detach does not propagate to the host (runc's msMoveRoot).
      if (mount("", p, nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
        if (errno == ENOENT) continue;  // under one detached already
        Fail(c, kPhasePivot, 8, errno);
      }
      if (umount2(p, MNT_DETACH) == 0) continue;
      // Locked in a user namespace: cover it instead.
      if ((errno != EINVAL && errno != EPERM) || mount("tmpfs", p, "tmpfs", 0, nullptr) != 0) Fail(c, kPhasePivot, 8, errno);
    }
    if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) Fail(c, kPhasePivot, 1, errno);
    if (chroot(".") != 0) Fail(c, kPhasePivot, 2, errno);
  } else {
    // pivot_root(".", "."): the old root ends up stacked on the new one and
    // is detached at once, so no directory for it is needed in the image.
    int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (old_root < 0) Fail(c, kPhasePivot, 3, errno);
    if (PivotRoot(".", ".") != 0) Fail(c, kPhasePivot, 3, errno);
    // "." must name the old root (as in runc's pivotRoot): the cwd is still
    // the new root's own directory, under the old root stacked on it, and a
    // recursive MS_SLAVE there would make every mount of the container a
    // slave, an rshared bind too (podman -v A:B:rshared).
    if (fchdir(old_root) != 0) Fail(c, kPhasePivot, 4, errno);
    close(old_root);
    // Slave first, so that detaching the old root does not unmount anything on the host.
    if (mount("", ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) Fail(c, kPhasePivot, 4, errno);
    if (umount2(".", MNT_DETACH) != 0) Fail(c, kPhasePivot, 5, errno);
  }
  if (chdir("/") != 0) Fail(c, kPhasePivot, 6, errno);
  close(rootfd);
  rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) Fail(c, kPhasePivot, 7, errno);

  for (size_t i = 0; i < plan.sysctls.size(); i++) {
    int fd = OpenSysctl(plan.sysctls[i].first.c_str());
    if (fd < 0) Fail(c, kPhaseSysctl, static_cast<int32_t>(i), errno);
    const std::string& value = plan.sysctls[i].second;
    if (write(fd, value.data(), value.size()) != static_cast<ssize_t>(value.size())) Fail(c, kPhaseSysctl, static_cast<int32_t>(i), errno);
    close(fd);
  }
  for (size_t i = 0; i < plan.post_pivot_steps.size(); i++) {
    if (RunMountStep(rootfd, plan.post_pivot_steps[i]) != 0) Fail(c, kPhasePostPivotStep, static_cast<int32_t>(i), errno);
  }
  close(rootfd);
}

// Reports ready, waits in accept() on exec.sock for `start`, then execs.
[[noreturn]] void WaitForStartThenExec(Child& c) {
  // Ready: PR_SET_PDEATHSIG is cleared now, while the parent surely lives (it
  // would kill us if cleared after its exit), and the "recorded" pipe takes
  // over: an init whose creator was killed before it recorded our pid in
  // state.json would be a container nobody can find. The parent writes its
  // byte before it exits, so only its death or a failed create gives EOF.
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  InitReport ready {};
  ready.kind = kReportReady;
  ssize_t ignored = write(c.status_fd, &ready, sizeof(ready));
  (void)ignored;
  close(c.status_fd);
  if (c.recorded_fd >= 0) {
    char recorded = 0;
    ssize_t n;
    do { n = read(c.recorded_fd, &recorded, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    close(c.recorded_fd);
  }

  // While created, a signal whose default is to terminate terminates the
  // init (as with runc, whose init is a Go program with handlers): pid 1 of a
  // pid namespace would otherwise ignore it, since its disposition is SIG_DFL.
  struct sigaction exit_on_signal {};
  exit_on_signal.sa_handler = ExitOnSignal;
  sigfillset(&exit_on_signal.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH ||
        sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) continue;
    sigaction(sig, &exit_on_signal, nullptr);
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  int conn;
  do { conn = accept4(c.listen_fd, nullptr, nullptr, SOCK_CLOEXEC); } while (conn < 0 && errno == EINTR);
  if (conn < 0) _exit(1);
  // From here a signal waits (blocked) for the program, which gets it with the default disposition.
  sigprocmask(SIG_SETMASK, &all, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, nullptr);
  close(c.listen_fd);
  ExecUserProgram(c, conn, false);
}

bool WritePidTo(const char* path, int pid) {
  char buf[24];
  FormatDecimal(pid, buf);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t len = strlen(buf);
  bool ok = write(fd, buf, len) == static_cast<ssize_t>(len);
  int e = errno;
  close(fd);
  errno = e;
  return ok;
}

// Runs newuidmap/newgidmap as `helper[0] PID helper[1..]` and waits for it;
// its own message goes to our stderr. Runs in the parent, after clone3.
bool RunIdMapHelper(const std::vector<std::string>& helper, int pid) {
  char pidbuf[24];
  FormatDecimal(pid, pidbuf);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(helper[0].c_str()));
  argv.push_back(pidbuf);
  for (size_t i = 1; i < helper.size(); i++) argv.push_back(const_cast<char*>(helper[i].c_str()));
  argv.push_back(nullptr);
  pid_t child = -1;
  int rc = posix_spawn(&child, helper[0].c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    errno = rc;
    return false;
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  errno = EPERM;
  return false;
}

// The exec socket in the state dir, where the init waits for `start`.
int ListenExecSocket(const std::string& state_dir) { return UnixSocketAt(state_dir.c_str(), "exec.sock", true); }

void RemoveExecSocket(const std::string& state_dir) {
  if (state_dir.empty()) return;  // `exec` has no exec.sock of its own
  char path[PATH_MAX];
  if (JoinPath(path, sizeof(path), state_dir.c_str(), "exec.sock")) unlink(path);
}

}  // namespace

bool WriteProcFile(int pid, const char* name, const std::string& content) {
  char path[64];
  char pidbuf[24];
  FormatDecimal(pid, pidbuf);
  char dir[32];
  if (!JoinPath(dir, sizeof(dir), "/proc", pidbuf) || !JoinPath(path, sizeof(path), dir, name)) return false;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  int e = errno;
  close(fd);
  errno = e;
  return ok;
}

SpawnResult SpawnInit(InitPlan& plan, const std::function<void(int)>& on_pause,
                      const std::function<void(int, int)>& on_seccomp_listener) {
  SpawnResult result;
  // The pointer arrays for execve are built here, where the strings have
  // reached their final place (a moved std::string may move its characters).
  plan.process.argv.clear();
  plan.process.envp.clear();
  for (const auto& s : plan.process.args) plan.process.argv.push_back(s.c_str());
  plan.process.argv.push_back(nullptr);
  for (const auto& s : plan.process.env) plan.process.envp.push_back(s.c_str());
  plan.process.envp.push_back(nullptr);
  auto fail = [&](int32_t phase, int32_t step, int err) {
    result.failed = true;
    result.report.kind = kReportFailure;
    result.report.phase = phase;
    result.report.step = step;
    result.report.err = err;
    return result;
  };
  auto close_joins = [&]() {
    for (auto& j : plan.joins)
      if (j.fd >= 0) {
        close(j.fd);
        j.fd = -1;
      }
    if (plan.runtime_mnt_ns_fd >= 0) {
      close(plan.runtime_mnt_ns_fd);
      plan.runtime_mnt_ns_fd = -1;
    }
    for (auto& s : plan.mount_steps)
      if (s.tree_fd >= 0) {
        close(s.tree_fd);
        s.tree_fd = -1;
      }
  };

  for (size_t i = 0; i < plan.joins.size(); i++) {
    plan.joins[i].fd = open(plan.joins[i].path.c_str(), O_RDONLY | O_CLOEXEC);
    if (plan.joins[i].fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseSetns, static_cast<int32_t>(i), e);
    }
  }
  if (plan.inherit_mount_namespace) {
    plan.runtime_mnt_ns_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (plan.runtime_mnt_ns_fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseSetns, -2, e);
    }
  }
  // Id-mapped mounts are made here, where we hold every capability in every
  // user namespace (mount_setattr wants CAP_SYS_ADMIN over the mapping's).
  for (size_t i = 0; i < plan.mount_steps.size(); i++) {
    MountStep& s = plan.mount_steps[i];
    if (s.op != kIdmappedBind) continue;
    s.tree_fd = OpenIdmappedTree(s.source, (s.flags & MS_REC) != 0, s.recursive, s.idmap_userns, s.idmap_uid_map, s.idmap_gid_map);
    if (s.tree_fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseMountStep, static_cast<int32_t>(i), e);
    }
  }
  // `exec`'s pid namespace is joined by the stage before it clones the
  // process (see CloneStagedInit): the process born in the container's pid
  // namespace is a copy of the stage, never of ocirt. (ocirt itself may not
  // setns into it anyway: while that holds, the kernel refuses to create
  // threads from this thread, and the JS runtime's thread pools would abort.)
  auto close_pid_join = [&]() {
    if (plan.join_pid_fd >= 0) {
      close(plan.join_pid_fd);
      plan.join_pid_fd = -1;
    }
  };
  if (!plan.join_pid_namespace.empty()) {
    plan.join_pid_fd = open(plan.join_pid_namespace.c_str(), O_RDONLY | O_CLOEXEC);
    if (plan.join_pid_fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseSetns, -1, e);
    }
  }

  // The status channel is a socket pair, not a pipe, so that the child can
  // pass the seccomp listener fd on it (SCM_RIGHTS). EOF still means execve.
  int status_pipe[2], sync_pipe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, status_pipe) != 0) {
    int e = errno;
    close_pid_join();
    close_joins();
    return fail(kPhaseClone, 0, e);
  }
  if (pipe2(sync_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    close_pid_join();
    close_joins();
    return fail(kPhaseClone, 0, e);
  }
  int listen_fd = plan.exec_immediately ? -1 : ListenExecSocket(plan.state_dir);
  if (listen_fd < 0 && !plan.exec_immediately) {
    int e = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    close(sync_pipe[0]);
    close(sync_pipe[1]);
    close_pid_join();
    close_joins();
    return fail(kPhaseListen, 0, e);
  }
  int recorded_pipe[2] = {-1, -1};
  if (!plan.exec_immediately && pipe2(recorded_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    close(sync_pipe[0]);
    close(sync_pipe[1]);
    close(listen_fd);
    close_pid_join();
    close_joins();
    RemoveExecSocket(plan.state_dir);
    return fail(kPhaseClone, 0, e);
  }
  auto close_recorded = [&]() {
    for (int& fd : recorded_pipe)
      if (fd >= 0) {
        close(fd);
        fd = -1;
      }
  };

  int console_fd = -1;
  if (plan.terminal) {
    console_fd = UnixSocketAtPath(plan.console_socket.c_str(), false);
    if (console_fd < 0) {
      int e = errno;
      close(status_pipe[0]);
      close(status_pipe[1]);
      close(sync_pipe[0]);
      close(sync_pipe[1]);
      if (listen_fd >= 0) close(listen_fd);
      close_recorded();
      close_pid_join();
      close_joins();
      RemoveExecSocket(plan.state_dir);
      return fail(kPhaseConsoleSocket, 0, e);
    }
  }

  // The sealed stage, and the plan it runs, as bytes in a second memfd.
  int stage_fd = OpenSealedStage();
  int plan_fd = stage_fd < 0 ? -1 : static_cast<int>(syscall(SYS_memfd_create, "ocirt-plan", MFD_CLOEXEC));
  if (plan_fd >= 0) {
    StageFds fds;
    fds.console_socket_fd = console_fd;
    fds.status_fd = status_pipe[1];
    fds.sync_fd = sync_pipe[0];
    fds.listen_fd = listen_fd;
    fds.recorded_fd = recorded_pipe[0];
    std::string bytes = EncodePlan(plan, fds);
    for (size_t off = 0; off < bytes.size();) {
      ssize_t w = write(plan_fd, bytes.data() + off, bytes.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        int e = errno;
        close(plan_fd);
        plan_fd = -1;
        errno = e;
        break;
      }
      off += static_cast<size_t>(w);
    }
  }
  if (plan_fd < 0) {
    int e = errno;
    if (stage_fd >= 0) close(stage_fd);
    close(status_pipe[0]);
    close(status_pipe[1]);
    close(sync_pipe[0]);
    close(sync_pipe[1]);
    if (listen_fd >= 0) close(listen_fd);
    if (console_fd >= 0) close(console_fd);
    close_pid_join();
    close_joins();
    RemoveExecSocket(plan.state_dir);
    return fail(kPhaseStage, stage_fd < 0 ? 1 : 2, e);
  }

  Child child {};
  child.plan = &plan;
  child.console_socket_fd = console_fd;
  child.status_fd = status_pipe[1];
  child.sync_fd = sync_pipe[0];
  child.listen_fd = listen_fd;
  child.recorded_fd = recorded_pipe[0];
  child.parent_recorded_fd = recorded_pipe[1];
  child.parent_status_fd = status_pipe[0];
  child.parent_sync_fd = sync_pipe[1];

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  struct clone_args args {};
  // The stage: no new namespaces yet (it clones the init with them).
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  // Born in its cgroup: moving a process between cgroups waits for an RCU grace
  // period (cgroup_threadgroup_rwsem), which clone3 into the cgroup does not.
  int cgroup_fd = plan.clone_into_cgroup.empty() ? -1 : open(plan.clone_into_cgroup.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd >= 0) {
    args.flags |= kCloneIntoCgroup;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = Clone3(&args);
  if (pid < 0 && cgroup_fd >= 0 && (errno == EINVAL || errno == E2BIG || errno == ENOSYS)) {
    // A kernel before 5.7: clone as before, and the pid is written to cgroup.procs below.
    args.flags &= ~kCloneIntoCgroup;
    args.cgroup = 0;
    close(cgroup_fd);
    cgroup_fd = -1;
    pid = Clone3(&args);
  }
  if (pid == 0) ExecStage(child, stage_fd, plan_fd);
  int clone_errno = errno;
  close(stage_fd);
  close(plan_fd);
  bool born_in_cgroup = cgroup_fd >= 0 && pid > 0;
  if (cgroup_fd >= 0) close(cgroup_fd);
  close_pid_join();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  close(status_pipe[1]);
  close(sync_pipe[0]);
  if (listen_fd >= 0) close(listen_fd);
  if (console_fd >= 0) close(console_fd);
  if (recorded_pipe[0] >= 0) {
    close(recorded_pipe[0]);
    recorded_pipe[0] = -1;
  }
  close_joins();
  if (pid < 0) {
    close(status_pipe[0]);
    close(sync_pipe[1]);
    close_recorded();
    RemoveExecSocket(plan.state_dir);
    return fail(kPhaseClone, 1, clone_errno);
  }
  result.pid = static_cast<int>(pid);

  // Kills and reaps the init on any failure from here on, and undoes what the
  // parent made for it. (A forked init is not our child: waitpid just returns.)
  int sync_fd = sync_pipe[1], status_fd = status_pipe[0];
  auto kill_and_reap = [&]() {
    if (pidfd >= 0) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    if (sync_fd >= 0) {
      close(sync_fd);
      sync_fd = -1;
    }
    if (status_fd >= 0) {
      close(status_fd);
      status_fd = -1;
    }
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    if (pidfd >= 0) {
      close(pidfd);
      pidfd = -1;
    }
    close_recorded();
    RemoveExecSocket(plan.state_dir);
    result.pid = -1;
  };
  auto abort_child = [&](int32_t phase, int err, int32_t step = 0) {
    kill_and_reap();
    fail(phase, step, err);
    result.pid = -1;
    return result;
  };

  // The stage has cloned the init (our child too: CLONE_PARENT) and says its
  // pid; then it exits. From here on `pid` is the init's.
  {
    InitReport staged {};
    size_t got_staged = 0;
    while (got_staged < sizeof(staged)) {
      ssize_t r = read(status_fd, reinterpret_cast<char*>(&staged) + got_staged, sizeof(staged) - got_staged);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got_staged += static_cast<size_t>(r);
    }
    if (got_staged != sizeof(staged) || staged.kind != kReportForked) {
      kill_and_reap();
      result.failed = true;
      if (got_staged == sizeof(staged) && staged.kind == kReportFailure) {
        result.report = staged;
      } else {
        fail(kPhaseStage, 3, ECHILD);
      }
      return result;
    }
    while (waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {}
    close(pidfd);
    pid = staged.step;
    result.pid = static_cast<int>(pid);
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (pidfd < 0) return abort_child(kPhaseStage, errno, 4);
  }

  // config.md execCPUAffinity.initial: where the new process runs from the start, before it
  // is moved into the container's cgroup (the child waits on the sync pipe meanwhile).
  if (plan.process.has_initial_cpus &&
      sched_setaffinity(static_cast<pid_t>(pid), sizeof(plan.process.initial_cpus), &plan.process.initial_cpus) != 0)
    return abort_child(kPhaseCpuAffinity, errno);
  // Into its cgroups first: before the id maps (a joined cgroup namespace is
  // unshared by the child only after this) and before it runs any of the plan.
  for (size_t i = 0; i < plan.cgroup_procs.size() && !born_in_cgroup; i++) {
    if (!WritePidTo(plan.cgroup_procs[i].c_str(), static_cast<int>(pid))) {
      int e = errno;
      kill_and_reap();
      fail(kPhaseCgroup, static_cast<int32_t>(i), e);
      return result;
    }
  }
  if (plan.clone_flags & CLONE_NEWUSER) {
    // Steps: 0 setgroups, 1 uid_map, 2 gid_map (src/linux/plan.ts describes them).
    int ipid = static_cast<int>(pid);
    if (plan.setgroups_deny && !WriteProcFile(ipid, "setgroups", "deny")) return abort_child(kPhaseUserMap, errno, 0);
    if (!plan.uid_map_helper.empty() ? !RunIdMapHelper(plan.uid_map_helper, ipid)
                                     : !plan.uid_map.empty() && !WriteProcFile(ipid, "uid_map", plan.uid_map))
      return abort_child(kPhaseUserMap, errno, 1);
    if (!plan.gid_map_helper.empty() ? !RunIdMapHelper(plan.gid_map_helper, ipid)
                                     : !plan.gid_map.empty() && !WriteProcFile(ipid, "gid_map", plan.gid_map))
      return abort_child(kPhaseUserMap, errno, 2);
  }
  if (plan.has_oom_score_adj) {
    char buf[24];
    FormatDecimal(plan.oom_score_adj, buf);
    if (!WriteProcFile(static_cast<int>(pid), "oom_score_adj", buf)) return abort_child(kPhaseOomScoreAdj, errno);
  }

  // Bind sources of a container with a new user namespace, opened by us with
  // our own access but in its new mount namespace (through /proc/PID/root),
  // as runc's parent opens them: its root may not reach them (a 0700
  // directory of the host's root on the way). The init binds from the fds,
  // inside its namespace, so the submounts of an rbind stay locked there.
  // The path is resolved against the init's root, absolute symlinks on it
  // too (/var/run -> /run), so that every component is in its namespace.
  int init_root = -1;
  for (size_t i = 0; i < plan.mount_steps.size() && SourcesFromParent(plan); i++) {
    const MountStep& s = plan.mount_steps[i];
    if (s.op != kDetachedBind) continue;
    if (init_root < 0) init_root = open(("/proc/" + std::to_string(pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int source = init_root < 0 ? -1 : OpenAt2(init_root, s.source.c_str(), O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT);
    int e = errno;
    long sent = source < 0 ? -1 : SendWithFd(status_fd, source, "", 1);
    if (source >= 0) {
      e = errno;
      close(source);
    }
    if (sent != 1) {
      if (init_root >= 0) close(init_root);
      return abort_child(kPhaseMountStep, e, static_cast<int32_t>(i));
    }
  }
  if (init_root >= 0) close(init_root);

  char go = 1;
  if (write(sync_fd, &go, 1) != 1) return abort_child(kPhaseSync, errno);

  InitReport report {};
  size_t got = 0;
  // Reads the next report. A seccomp listener fd (sent with its own record)
  // is handed to on_seccomp_listener at once and the next report read: the
  // child may be waiting for the agent in a notified syscall meanwhile.
  auto read_report = [&]() {
    for (;;) {
      got = 0;
      int passed = -1;
      while (got < sizeof(report)) {
        int fd = -1;
        long n = ReceiveWithFd(status_fd, reinterpret_cast<char*>(&report) + got, sizeof(report) - got, &fd);
        if (fd >= 0) {
          if (passed >= 0) close(passed);
          passed = fd;
        }
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      if (got != sizeof(report) || report.kind != kReportSeccompListener || passed < 0) {
        if (passed >= 0) close(passed);
        return;
      }
      try {
        if (on_seccomp_listener) on_seccomp_listener(static_cast<int>(pid), passed);
      } catch (...) {
        close(passed);
        kill_and_reap();
        throw;
      }
      close(passed);
    }
  };
  read_report();
  if (plan.fork_after_unshare && got == sizeof(report) && report.kind == kReportForked) {
    // The first process has exited; the container's process is its child.
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    close(pidfd);
    pid = report.step;
    result.pid = static_cast<int>(pid);
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (pidfd < 0) return abort_child(kPhaseFork, errno);
    read_report();
  }
  if (plan.pause_before_pivot && got == sizeof(report) && report.kind == kReportPaused) {
    try {
      on_pause(static_cast<int>(pid));
    } catch (...) {
      kill_and_reap();
      throw;
    }
    if (write(sync_fd, &go, 1) != 1) return abort_child(kPhaseSync, errno);
    read_report();
  }
  if ((got == sizeof(report) && report.kind == kReportReady) || (plan.exec_immediately && got == 0)) {
    // Ready and waiting for start; or, for exec, the status pipe closed on execve.
    close(sync_fd);
    close(status_fd);
    close(pidfd);
    result.recorded_fd = recorded_pipe[1];
    return result;
  }
  // The child failed (it has _exit'ed or is about to) or died: reap it.
  kill_and_reap();
  result.failed = true;
  if (got == sizeof(report)) {
    result.report = report;
  } else {
    result.report.kind = kReportFailure;
    result.report.phase = kPhaseSync;
    result.report.step = 1;
    result.report.err = ECHILD;
  }
  return result;
}

}  // namespace ocirt

namespace ocirt {

void CloneStagedInit(InitPlan& plan, int console_socket_fd, int status_fd, int sync_fd, int listen_fd, int recorded_fd) {
  Child child {};
  child.plan = &plan;
  child.console_socket_fd = console_socket_fd;
  child.status_fd = status_fd;
  child.sync_fd = sync_fd;
  child.listen_fd = listen_fd;
  child.recorded_fd = recorded_fd;
  child.parent_recorded_fd = -1;
  child.parent_status_fd = -1;
  child.parent_sync_fd = -1;
  // cgroup v1: one thread moving itself takes no cgroup_threadgroup_rwsem,
  // so no RCU grace period; what the stage clones inherits its cgroups.
  for (size_t i = 0; i < plan.self_place_tasks.size(); i++) {
    int fd = open(plan.self_place_tasks[i].c_str(), O_WRONLY | O_CLOEXEC);
    int e = errno;
    if (fd >= 0) {
      e = write(fd, "0", 1) == 1 ? 0 : errno;
      close(fd);
    }
    if (e != 0) Fail(child, kPhaseCgroup, static_cast<int32_t>(plan.cgroup_procs.size() + i), e);
  }
  if (plan.join_pid_fd >= 0) {
    // `exec`: the container's pid namespace applies to the children of the
    // stage; the process born in it is a copy of the stage, never of ocirt.
    if (setns(plan.join_pid_fd, CLONE_NEWPID) != 0) Fail(child, kPhaseSetns, -1, errno);
    close(plan.join_pid_fd);
  }
  struct clone_args args {};
  // A sibling: ocirt is the init's parent (waitpid, and PR_SET_PDEATHSIG
  // watches ocirt), as it was before the stage.
  args.flags = plan.clone_flags | CLONE_PARENT;
  long pid = Clone3(&args);
  if (pid == 0) ChildMain(child);
  if (pid < 0) Fail(child, kPhaseClone, 1, errno);
  InitReport forked {};
  forked.kind = kReportForked;
  forked.step = static_cast<int32_t>(pid);
  ssize_t ignored = write(status_fd, &forked, sizeof(forked));
  (void)ignored;
}

}  // namespace ocirt
