// --preserve-fds N: the caller's fds 3 .. 3+N-1 pass into the container.
#include "preserved_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ocirt {

// preservedFdProblem(fd) → 0 when fd may be the caller's, an errno when it is
// not open (EBADF), or -1 when it is one of the JS runtime's own: its event
// loop's epoll and eventfd are the first fds it opens, so they take the
// lowest numbers the caller left free. (Whether an fd was inherited cannot be
// told from FD_CLOEXEC: bun marks every inherited fd above 3 close-on-exec at
// start-up.) Passing such an fd on would hand ocirt's internals to the container.
Napi::Value PreservedFdProblem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (fcntl(fd, F_GETFD) < 0) return Napi::Number::New(env, errno);
  char path[64], target[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof(target) - 1);
  if (n < 0) return Napi::Number::New(env, errno);
  target[n] = '\0';
  bool runtime_own = strcmp(target, "anon_inode:[eventpoll]") == 0 || strcmp(target, "anon_inode:[eventfd]") == 0;
  return Napi::Number::New(env, runtime_own ? -1 : 0);
}

}  // namespace ocirt
