// Raw system calls and allocation-free helpers shared by the parent and the
// child. Nothing here allocates, takes a lock or throws: the child (a copy of
// one thread of a multi-threaded process, see native/child.cc) may call all
// of it.
#pragma once

#include <linux/sched.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>

namespace ocirt {

// ---- raw syscalls glibc does not wrap (or wraps with locking) ----

constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;  // CLONE_INTO_CGROUP (Linux 5.7)

long Clone3(struct clone_args* args);
// clone3 arguments for a plain child whose pidfd lands in *pidfd (CLONE_PIDFD,
// SIGCHLD at exit): the stage, a runtime hook, a startContainer hook. Callers
// add namespaces or CLONE_INTO_CGROUP on top.
inline struct clone_args PidfdCloneArgs(int* pidfd) {
  struct clone_args args {};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  return args;
}
int OpenAt2(int dirfd, const char* path, uint64_t flags, uint64_t resolve);
int PivotRoot(const char* new_root, const char* put_old);
int CloseRange(unsigned first, unsigned last);

// glibc's setresuid/setresgid/setgroups broadcast the change to every thread
// of the process it believes it has (the "setxid" protocol), taking locks a
// thread of the parent may have held at clone time. The child has one thread:
// it makes the system calls directly.
int SetResUid(uid_t id);
int SetResGid(gid_t id);
int SetGroups(size_t n, const gid_t* groups);

int CapSet(uint64_t effective, uint64_t permitted, uint64_t inheritable);

// Blocks nothing: the signal mask a program gets at execve.
void UnblockAllSignals();
// Every signal's disposition back to SIG_DFL (ignored ones survive execve);
// only those /proc/self/status lists as ignored or caught are touched.
void ResetSignalDispositions();

// ---- allocation-free string helpers ----

// Writes v in decimal at out (at least 21 bytes) with a terminating NUL;
// returns the end. No allocation, no locale: usable in the child.
char* FormatDecimal(long v, char* out);

// Writes "/proc/self/fd/<fd>" into buf (at least 32 bytes).
const char* FdPath(int fd, char* buf);

// Copies a and b joined by '/' into out; false if it does not fit.
bool JoinPath(char* out, size_t size, const char* a, const char* b);

// Splits path into its parent directory and last component, in buffers.
bool SplitPath(const char* path, char* dir, char* base);

// ---- file descriptors ----

// Owns one fd and closes it when it goes out of scope, keeping errno (so a
// failing call's errno survives the cleanup on the way out). Move-only, no
// allocation. Release() hands the fd on without closing it.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  ~UniqueFd() { Reset(); }

  int Get() const { return fd_; }
  bool Valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the fd it holds (if any) and takes `fd`.
  void Reset(int fd = -1) {
    if (fd_ >= 0) {
      int saved = errno;
      close(fd_);
      errno = saved;
    }
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A close-on-exec pipe; false with errno if there is none.
bool MakePipe(UniqueFd& read_end, UniqueFd& write_end);

}  // namespace ocirt
