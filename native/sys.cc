// Raw system calls and allocation-free helpers (see sys.h). Child code:
// scripts/check-child-symbols.sh checks that this object calls no allocator.
#include "sys.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

namespace ocirt {

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

void UnblockAllSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

namespace {

// The 64-bit mask in hex after `key` ("\nSigIgn:\t") in a /proc/PID/status text.
bool FindSignalMask(const char* status, const char* key, uint64_t* mask) {
  const char* p = strstr(status, key);
  if (p == nullptr) return false;
  p += strlen(key);
  uint64_t value = 0;
  int digits = 0;
  for (; digits < 16; digits++, p++) {
    int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                                                                       : -1;
    if (d < 0) break;
    value = value << 4 | static_cast<uint64_t>(d);
  }
  if (digits != 16 || *p != '\n') return false;
  *mask = value;
  return true;
}

}  // namespace

void ResetSignalDispositions() {
  // Only a signal that is ignored or caught differs from SIG_DFL, and
  // /proc/self/status lists both (SigIgn, SigCgt; bit N-1 is signal N): one
  // read instead of 64 sigaction calls. Without that file, or with a status
  // too long for the buffer (thousands of supplementary groups come before
  // those lines), every signal is reset, as before.
  uint64_t to_reset = ~0ULL;
  char status[4096];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    size_t got = 0;
    for (;;) {
      ssize_t n = read(fd, status + got, sizeof(status) - 1 - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
      if (got == sizeof(status) - 1) break;
    }
    close(fd);
    status[got] = '\0';
    uint64_t ignored = 0, caught = 0;
    if (FindSignalMask(status, "\nSigIgn:\t", &ignored) && FindSignalMask(status, "\nSigCgt:\t", &caught)) to_reset = ignored | caught;
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if ((to_reset >> (sig - 1)) & 1) sigaction(sig, &dfl, nullptr);
}

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

const char* FdPath(int fd, char* buf) {
  static const char kPrefix[] = "/proc/self/fd/";
  memcpy(buf, kPrefix, sizeof(kPrefix) - 1);
  FormatDecimal(fd, buf + sizeof(kPrefix) - 1);
  return buf;
}

bool JoinPath(char* out, size_t size, const char* a, const char* b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + 1 + lb + 1 > size) return false;
  memcpy(out, a, la);
  size_t pos = la;
  if (la == 0 || a[la - 1] != '/') out[pos++] = '/';
  memcpy(out + pos, b, lb + 1);
  return true;
}

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

bool MakePipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return true;
}

}  // namespace ocirt
