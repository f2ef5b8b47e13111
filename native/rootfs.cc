// The rootfs steps of the init (native/child.h): the mount steps resolved
// inside the root, pivot_root (or MS_MOVE + chroot), the sysctls and the
// masked and read-only paths. Child code: no allocator.
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>  // ST_* flags, which statfs' f_flags shares
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include "child.h"
#include "sys.h"

namespace ocirt {
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
//
// Every directory it creates in is opened from the root (OpenInRoot), and
// so is what it returns: a component it has just made is opened again from
// the root, never relative to the fd of its parent, so no rename or symlink
// swapped in meanwhile can take the result outside the root.
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

  // Start at the deepest ancestor that exists, found walking up from the
  // path (usually its parent: /sys/fs/cgroup for /sys/fs/cgroup/cpu), not at
  // "/": one open instead of one per component. Each component below it
  // was just found missing, so it is created without being looked up first
  // (`missing_from`); an EEXIST (a race, or a dangling symlink) still falls
  // through to the open below. An error other than ENOENT on the way up
  // starts from "/" instead, looking up every component as before.
  UniqueFd parent;
  size_t pos = 0;
  size_t missing_from = SIZE_MAX;
  for (size_t cut = len; cut > 0 && !parent.Valid();) {
    while (cut > 0 && prefix[cut - 1] == '/') cut--;
    while (cut > 0 && prefix[cut - 1] != '/') cut--;
    if (cut <= 1) {
      // Only "/" is left: every component is missing.
      missing_from = 0;
      break;
    }
    prefix[cut - 1] = '\0';
    parent.Reset(OpenInRoot(rootfd, prefix, O_PATH));
    int open_errno = errno;
    prefix[cut - 1] = '/';
    if (parent.Valid()) {
      pos = cut;
      missing_from = cut;
    } else if (open_errno != ENOENT) {
      break;
    }
  }
  if (!parent.Valid()) {
    parent.Reset(OpenInRoot(rootfd, "/", O_PATH | O_DIRECTORY));
    if (!parent.Valid()) return -1;
    pos = 0;
  }
  int hops = 0;
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
    int next = -1;
    if (pos >= missing_from) {
      errno = ENOENT;
    } else {
      next = OpenInRoot(rootfd, prefix, O_PATH);
    }
    if (next < 0 && errno == ENOENT) {
      const char* name = prefix + pos;
      int rc;
      if (is_last && last == kCreateFile) {
        rc = UniqueFd(openat(parent.Get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)).Valid() ? 0 : -1;
      } else {
        rc = mkdirat(parent.Get(), name, 0755);
      }
      if (rc < 0 && errno != EEXIST) return -1;
      // Open what is there now, through the same in-root resolution.
      next = OpenInRoot(rootfd, prefix, O_PATH);
      if (next < 0 && errno == ENOENT) {
        // A dangling symlink: continue with its target, resolved in the root.
        char link[PATH_MAX];
        ssize_t n = readlinkat(parent.Get(), name, link, sizeof(link) - 1);
        if (n <= 0 || ++hops > 40) {
          errno = n <= 0 ? ENOENT : ELOOP;
          return -1;
        }
        link[n] = '\0';
        char rewritten[PATH_MAX];
        size_t dir_len = link[0] == '/' ? 0 : pos;
        size_t rest_len = len - end;
        if (dir_len + static_cast<size_t>(n) + rest_len + 1 > sizeof(rewritten)) {
          errno = ENAMETOOLONG;
          return -1;
        }
        memcpy(rewritten, prefix, dir_len);
        memcpy(rewritten + dir_len, link, static_cast<size_t>(n));
        prefix[end] = saved;
        memcpy(rewritten + dir_len + n, prefix + end, rest_len + 1);
        memcpy(prefix, rewritten, dir_len + static_cast<size_t>(n) + rest_len + 1);
        len = strlen(prefix);
        parent.Reset(OpenInRoot(rootfd, "/", O_PATH | O_DIRECTORY));
        if (!parent.Valid()) return -1;
        pos = 0;
        // The rewritten path is looked up again component by component.
        missing_from = SIZE_MAX;
        continue;
      }
    }
    if (next < 0) return -1;
    parent.Reset(next);
    prefix[end] = saved;
    pos = end;
  }
  return parent.Release();
}

namespace {

// What a run of consecutive steps shares (RunMountStep), so that each does
// not open it again from the root: the directory of the last Mknod or
// Symlink step (the default devices and the /dev links are eleven steps in
// /dev), and the container's /dev/null, checked once, for the Mask steps.
// Both are kept only while steps of the same kind follow each other.
struct StepCache {
  UniqueFd parent;
  // Whether `parent` may serve the next step in `parent_path`.
  bool parent_reusable = false;
  char parent_path[PATH_MAX];
  UniqueFd null_device;
};

// Opens the parent directory of a Mknod or Symlink step's `path` inside the
// root (creating it) and leaves the last component in `base`; the fd stays
// owned by the cache. It is reused for the next such step in the same directory only if
// it was reached without following a symlink (RESOLVE_NO_SYMLINKS): then no
// entry that these steps create or replace lies on the path that named it,
// and since no step in between mounts anything, that path still names the
// same directory. Otherwise (a symlink on the way, or a directory still to
// create) it is opened as before, and for this step only.
int CachedParentInRoot(int rootfd, const char* path, char* base, StepCache& cache) {
  char dir[PATH_MAX];
  if (!SplitPath(path, dir, base)) {
    errno = EINVAL;
    return -1;
  }
  if (cache.parent_reusable && cache.parent.Valid() && strcmp(cache.parent_path, dir) == 0) return cache.parent.Get();
  cache.parent.Reset(OpenAt2(rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, kInRoot | RESOLVE_NO_SYMLINKS));
  cache.parent_reusable = cache.parent.Valid();
  if (cache.parent_reusable) {
    memcpy(cache.parent_path, dir, strlen(dir) + 1);
  } else {
    cache.parent.Reset(MkdirAllInRoot(rootfd, dir, kCreateDirectory));
  }
  return cache.parent.Get();
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
  int rc = 0;
  UniqueFd src, dst;
  if (S_ISDIR(st.st_mode)) {
    rc = mkdirat(to, name, perm);
    if (rc == 0) src.Reset(openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (src.Valid()) dst.Reset(openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    rc = !dst.Valid() ? -1 : CopyTree(src.Get(), dst.Get(), depth + 1);
  } else if (S_ISREG(st.st_mode)) {
    src.Reset(openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (src.Valid()) dst.Reset(openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm));
    rc = !dst.Valid() ? -1 : 0;
    for (off_t left = st.st_size; rc == 0 && left > 0;) {
      ssize_t n = sendfile(dst.Get(), src.Get(), nullptr, static_cast<size_t>(left));
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
  src.Reset();
  dst.Reset();
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
  UniqueFd from(openat(under, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!from.Valid()) return -1;
  if (mount(source, FdPath(under, fdpath), fstype, flags, data) != 0) return -1;
  UniqueFd to(OpenInRoot(rootfd, target, O_RDONLY | O_DIRECTORY));
  if (!to.Valid()) return -1;
  if (!under_from_image) return 0;
  struct stat st {};
  if (fstat(from.Get(), &st) != 0 || fchown(to.Get(), st.st_uid, st.st_gid) != 0 || fchmod(to.Get(), st.st_mode & 07777) != 0) return -1;
  return CopyTree(from.Get(), to.Get(), 0);
}

// Runs one mount step against `rootfd`; returns 0 or -1/errno. `cache`
// carries what the step before left for this one (see StepCache).
int RunMountStep(int rootfd, const MountStep& s, StepCache& cache) {
  char fdpath[32];
  char base[PATH_MAX];
  const char* target = s.target.c_str();
  const char* data = s.has_data ? s.data.c_str() : nullptr;
  UniqueFd fd;
  int rc = 0;
  if (s.op != kMknod && s.op != kSymlink) {
    cache.parent.Reset();
    cache.parent_reusable = false;
  }
  if (s.op != kMask) cache.null_device.Reset();

  switch (s.op) {
    case kMount:
    case kBindDevice: {
      bool target_in_image = false;
      if (s.copy_up) {
        target_in_image = UniqueFd(OpenInRoot(rootfd, target, O_PATH)).Valid();
      }
      if (s.no_symlinks) {
        // procfs and sysfs only on a path without symlinks: an image that
        // points /proc elsewhere (CVE-2019-16884 class) gets an error, not a
        // procfs mounted where it chose. The target usually exists (the
        // image's /proc): then the one open that refuses symlinks is all.
        fd.Reset(OpenAt2(rootfd, target, O_PATH | O_CLOEXEC, kInRoot | RESOLVE_NO_SYMLINKS));
        if (!fd.Valid()) {
          UniqueFd made(MkdirAllInRoot(rootfd, target, s.create));
          fd.Reset(OpenAt2(rootfd, target, O_PATH | O_CLOEXEC, kInRoot | RESOLVE_NO_SYMLINKS));
        }
      } else {
        fd.Reset(MkdirAllInRoot(rootfd, target, s.create));
      }
      if (!fd.Valid()) return -1;
      const char* fstype = s.has_fstype ? s.fstype.c_str() : nullptr;
      unsigned long flags = static_cast<unsigned long>(s.flags);
      if (s.op == kBindDevice) {
        fstype = nullptr;
        flags = MS_BIND;
      }
      if (s.copy_up) {
        rc = MountCopyingUp(rootfd, target, fd.Get(), target_in_image, s.has_source ? s.source.c_str() : "none", fstype, flags, data);
        break;
      }
      rc = mount(s.has_source ? s.source.c_str() : "none", FdPath(fd.Get(), fdpath), fstype, flags, data);
      break;
    }
    case kRemount:
      fd.Reset(OpenInRoot(rootfd, target, O_PATH));
      if (!fd.Valid()) return -1;
      rc = RemountKeepingLockedFlags(FdPath(fd.Get(), fdpath), static_cast<unsigned long>(s.flags), data);
      break;
    case kPropagate:
      fd.Reset(OpenInRoot(rootfd, target, O_PATH));
      if (!fd.Valid()) return -1;
      rc = mount("", FdPath(fd.Get(), fdpath), nullptr, static_cast<unsigned long>(s.flags), nullptr);
      break;
    case kMknod: {
      int dirfd = CachedParentInRoot(rootfd, target, base, cache);
      if (dirfd < 0) return -1;
      dev_t dev = makedev(s.major, s.minor);
      rc = mknodat(dirfd, base, s.mode, dev);
      if (rc < 0 && errno == EEXIST) {
        // The image has something there: replace it unless it is a directory.
        struct stat st {};
        if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) && unlinkat(dirfd, base, 0) == 0) {
          rc = mknodat(dirfd, base, s.mode, dev);
        } else {
          errno = EEXIST;
        }
      }
      if (rc == 0) rc = fchownat(dirfd, base, s.uid, s.gid, AT_SYMLINK_NOFOLLOW);
      break;
    }
    case kSymlink: {
      int dirfd = CachedParentInRoot(rootfd, target, base, cache);
      if (dirfd < 0) return -1;
      rc = symlinkat(s.source.c_str(), dirfd, base);
      if (rc < 0 && errno == EEXIST) rc = 0;
      break;
    }
    case kMask: {
      fd.Reset(OpenInRoot(rootfd, target, O_PATH));
      if (!fd.Valid()) return errno == ENOENT ? 0 : -1;
      struct stat st {};
      if (fstat(fd.Get(), &st) != 0) {
        rc = -1;
        break;
      }
      if (S_ISDIR(st.st_mode)) {
        // A mask on a directory could cover /dev or "/": /dev/null is looked up again after it.
        cache.null_device.Reset();
        rc = mount("tmpfs", FdPath(fd.Get(), fdpath), "tmpfs", MS_RDONLY, nullptr);
      } else {
        // The container's /dev/null must really be the null device: an image
        // whose /dev/null points at a host file would otherwise get that file
        // bound over the masked path (CVE-2025-31133 class). The fd checked
        // here serves the following file masks too (StepCache): it is that
        // device node whatever happens to the path later.
        if (!cache.null_device.Valid()) {
          UniqueFd null_fd(OpenInRoot(rootfd, "/dev/null", O_PATH));
          struct stat ns {};
          if (!null_fd.Valid() || fstat(null_fd.Get(), &ns) != 0 || !S_ISCHR(ns.st_mode) || ns.st_rdev != makedev(1, 3)) {
            errno = EXDEV;
            return -1;
          }
          cache.null_device = std::move(null_fd);
        }
        char nullpath[32];
        rc = mount(FdPath(cache.null_device.Get(), nullpath), FdPath(fd.Get(), fdpath), nullptr, MS_BIND, nullptr);
      }
      break;
    }
    case kReadOnly: {
      fd.Reset(OpenInRoot(rootfd, target, O_PATH));
      if (!fd.Valid()) return errno == ENOENT ? 0 : -1;
      FdPath(fd.Get(), fdpath);
      rc = mount(fdpath, fdpath, nullptr, MS_BIND | MS_REC, nullptr);
      if (rc != 0) break;
      fd.Reset();
      // Reopen: the old fd names the directory under the new bind mount.
      fd.Reset(OpenInRoot(rootfd, target, O_PATH));
      if (!fd.Valid()) return -1;
      rc = RemountKeepingLockedFlags(FdPath(fd.Get(), fdpath), MS_BIND | MS_RDONLY | MS_REC, nullptr);
      break;
    }
    case kMkdir:
      // A directory, or the empty file a later bind mount needs (`create`).
      fd.Reset(MkdirAllInRoot(rootfd, target, s.create == kCreateFile ? kCreateFile : kCreateDirectory));
      if (!fd.Valid()) return -1;
      break;
    case kDetachedBind:
      fd.Reset(MkdirAllInRoot(rootfd, target, s.create));
      if (!fd.Valid()) return -1;
      if (s.tree_fd >= 0) {
        // The source the parent opened in our mount namespace (SourcesFromParent).
        char source_path[32];
        UniqueFd source(s.tree_fd);
        rc = mount(FdPath(source.Get(), source_path), FdPath(fd.Get(), fdpath), nullptr, static_cast<unsigned long>(s.flags), nullptr);
      } else {
        rc = mount(s.source.c_str(), FdPath(fd.Get(), fdpath), nullptr, static_cast<unsigned long>(s.flags), nullptr);
      }
      break;
    case kIdmappedBind: {
      // The id-mapped clone the parent made goes onto the target, which is
      // resolved inside the root like every other mount target.
      fd.Reset(MkdirAllInRoot(rootfd, target, s.create));
      if (!fd.Valid()) return -1;
      rc = static_cast<int>(syscall(SYS_move_mount, s.tree_fd, "", fd.Get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
      break;
    }
    case kSetAttr: {
      fd.Reset(OpenInRoot(rootfd, target, O_PATH));
      if (!fd.Valid()) return -1;
      struct mount_attr attr {};
      attr.attr_set = s.attr_set;
      attr.attr_clr = s.attr_clr;
      rc = static_cast<int>(syscall(SYS_mount_setattr, fd.Get(), "", AT_EMPTY_PATH | (s.recursive ? AT_RECURSIVE : 0),
                                    &attr, sizeof(attr)));
      break;
    }
    default:
      errno = EINVAL;
      return -1;
  }
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
  UniqueFd fd(OpenAt2(AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NOCTTY, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (!fd.Valid()) return -1;
  struct statfs fs {};
  if (fstatfs(fd.Get(), &fs) != 0 || fs.f_type != PROC_SUPER_MAGIC) {
    fd.Reset();
    errno = EXDEV;
    return -1;
  }
  return fd.Release();
}

// An O_PATH fd of the root of the mount that holds `path`: the last
// directory on the way up from `path` whose ".." is on the same mount.
int OpenMountRootOf(const char* path) {
  UniqueFd fd(open(path, O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (int depth = 0; fd.Valid() && depth < PATH_MAX / 2; depth++) {
    UniqueFd up(openat(fd.Get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct statx here {
    }, above {};
    if (!up.Valid() || statx(fd.Get(), "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &here) != 0 ||
        statx(up.Get(), "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_INO, &above) != 0)
      return -1;
    // A different mount above, or "/" (whose ".." is itself): fd is that mount's root.
    bool at_top = here.stx_mnt_id != above.stx_mnt_id ||
                  (here.stx_ino == above.stx_ino && here.stx_dev_major == above.stx_dev_major && here.stx_dev_minor == above.stx_dev_minor);
    if (at_top) return fd.Release();
    fd = std::move(up);
  }
  if (fd.Valid()) {
    fd.Reset();
    errno = ELOOP;
  }
  return -1;
}

}  // namespace

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

// Root propagation, the rootfs bind mount, the mount steps, (the create
// hooks,) pivot_root, sysctls and the steps after it.
void SetUpRootfs(Child& c) {
  InitPlan& plan = *c.plan;
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

  {
    StepCache cache;
    for (size_t i = 0; i < plan.mount_steps.size(); i++) {
      if (RunMountStep(rootfd, plan.mount_steps[i], cache) != 0) Fail(c, kPhaseMountStep, static_cast<int32_t>(i), errno);
    }
  }

  if (plan.pause_before_pivot) {
    // The environment is made: the parent runs prestart, createRuntime and
    // createContainer hooks now (runtime.md lifecycle steps 3-5), before pivot_root.
    if (!SendReport(c.status_fd, kReportPaused) || !WaitForByte(c.sync_fd)) _exit(1);
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
  {
    StepCache cache;
    for (size_t i = 0; i < plan.post_pivot_steps.size(); i++) {
      if (RunMountStep(rootfd, plan.post_pivot_steps[i], cache) != 0) Fail(c, kPhasePostPivotStep, static_cast<int32_t>(i), errno);
    }
  }
  close(rootfd);
}

}  // namespace ocirt
