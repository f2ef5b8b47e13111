// Small process and file-descriptor syscalls for the commands: reaping,
// locking, signalling through pidfds, and releasing a created init.
#include "sys.h"
#include "process.h"

#include "unix_socket.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ocirt {

Napi::Value ExitStatusToJs(Napi::Env env, int status) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("status", WIFEXITED(status) ? Napi::Number::New(env, WEXITSTATUS(status)) : env.Null());
  o.Set("signal", WIFSIGNALED(status) ? Napi::Number::New(env, WTERMSIG(status)) : env.Null());
  return o;
}

Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) throw ErrnoError(info.Env(), "prctl(PR_SET_CHILD_SUBREAPER)", errno);
  return info.Env().Undefined();
}

Napi::Value WaitPid(const Napi::CallbackInfo& info) {
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  bool no_hang = info[1].As<Napi::Boolean>().Value();
  int status = 0;
  pid_t rc;
  do { rc = waitpid(pid, &status, no_hang ? WNOHANG : 0); } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw ErrnoError(info.Env(), "waitpid", errno);
  if (rc == 0) return info.Env().Null();
  return ExitStatusToJs(info.Env(), status);
}

namespace {

class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid) : Napi::AsyncWorker(env), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    pid_t rc;
    do { rc = waitpid(pid_, &status_, 0); } while (rc < 0 && errno == EINTR);
    if (rc < 0) err_ = errno;
  }
  void OnOK() override {
    if (err_ != 0) deferred_.Reject(ErrnoError(Env(), "waitpid", err_).Value());
    else deferred_.Resolve(ExitStatusToJs(Env(), status_));
  }

 private:
  pid_t pid_;
  int status_ = 0;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value WaitPidAsync(const Napi::CallbackInfo& info) {
  auto* worker = new WaitWorker(info.Env(), info[0].As<Napi::Number>().Int32Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Flock(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Boolean>().Value() ? LOCK_EX : LOCK_SH;
  if (info[2].As<Napi::Boolean>().Value()) op |= LOCK_NB;
  int rc;
  do { rc = flock(fd, op); } while (rc < 0 && errno == EINTR);
  if (rc == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(info.Env(), false);
  throw ErrnoError(info.Env(), "flock", errno);
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0 && errno != ESRCH) throw ErrnoError(info.Env(), "pidfd_open", errno);
  if (fd >= 0) fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  return Napi::Number::New(info.Env(), fd < 0 ? -1 : static_cast<double>(fd));
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) != 0) throw ErrnoError(info.Env(), "pidfd_send_signal", errno);
  return info.Env().Undefined();
}

Napi::Value PidfdWait(const Napi::CallbackInfo& info) {
  struct pollfd p {};
  p.fd = info[0].As<Napi::Number>().Int32Value();
  p.events = POLLIN;
  int rc;
  do { rc = poll(&p, 1, info[1].As<Napi::Number>().Int32Value()); } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw ErrnoError(info.Env(), "poll(pidfd)", errno);
  return Napi::Boolean::New(info.Env(), rc > 0);
}

// Connects to <stateDir>/exec.sock (through /proc/self/fd so that long paths
// fit in sun_path) and reads until the init closes it: EOF means the user
// program has been exec'd, text is the init's error. A seccomp listener the
// init loaded just before (with no_new_privs) arrives as one NUL byte with
// the fd: it is given to the optional callback at once, since the program may
// already be waiting for the agent in a notified syscall.
Napi::Value ReleaseInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Napi::Function on_listener = info.Length() > 1 && info[1].IsFunction() ? info[1].As<Napi::Function>() : Napi::Function();
  int fd = UnixSocketAt(dir.c_str(), "exec.sock", false);
  if (fd < 0) throw ErrnoError(env, "connect exec.sock", errno);
  std::string text;
  char buf[512];
  for (;;) {
    int passed = -1;
    long n = ReceiveWithFd(fd, buf, sizeof(buf), &passed);
    if (n < 0) {
      // ECONNRESET: the init died with our connection still in its backlog.
      int err = errno;
      close(fd);
      throw ErrnoError(env, "read exec.sock", err);
    }
    if (passed >= 0) {
      try {
        if (!on_listener.IsEmpty()) on_listener.Call({Napi::Number::New(env, passed)});
      } catch (...) {
        close(passed);
        close(fd);
        throw;
      }
      close(passed);
    }
    if (n == 0) break;
    for (long i = 0; i < n; i++)
      if (buf[i] != '\0') text.push_back(buf[i]);
  }
  close(fd);
  return Napi::String::New(env, text);
}

// config-linux.md "Seccomp", listenerPath: one connection per container
// process state; the seccomp fd goes with the first sendmsg, the rest of the
// JSON follows, then the connection is closed.
Napi::Value SendSeccompListener(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int listener = info[1].As<Napi::Number>().Int32Value();
  std::string state = info[2].As<Napi::String>().Utf8Value();
  int sock = UnixSocketAtPath(path.c_str(), false);
  if (sock < 0) throw ErrnoError(env, "connect", errno);
  long sent = SendWithFd(sock, listener, state.data(), state.size());
  size_t done = sent > 0 ? static_cast<size_t>(sent) : 0;
  while (sent >= 0 && done < state.size()) {
    sent = send(sock, state.data() + done, state.size() - done, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) {
      sent = 0;
      continue;
    }
    if (sent > 0) done += static_cast<size_t>(sent);
  }
  int err = errno;
  close(sock);
  if (sent < 0) throw ErrnoError(env, "sendmsg", err);
  return env.Undefined();
}

// Reads a regular file of the rootfs, resolving the path inside it
// (RESOLVE_IN_ROOT): an image whose /etc/passwd is a symlink to a host file
// gets that path looked up in the image, never on the host. null if missing.
Napi::Value ReadFileInRoot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root = info[0].As<Napi::String>().Utf8Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  size_t limit = info[2].As<Napi::Number>().Uint32Value();
  int rootfd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) throw ErrnoError(env, "open rootfs", errno);
  int fd = OpenAt2(rootfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  int e = errno;
  close(rootfd);
  if (fd < 0) {
    if (e == ENOENT || e == ENOTDIR || e == ELOOP) return env.Null();
    throw ErrnoError(env, "open in rootfs", e);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return env.Null();
  }
  std::string text;
  char buf[4096];
  while (text.size() < limit) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (text.size() > limit) text.resize(limit);
  return Napi::String::New(env, text);
}

// A listening unix socket at `path` (what a console-socket owner, such as
// containerd's shim, makes).
Napi::Value ListenUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = UnixSocketAtPath(path.c_str(), true);
  if (fd < 0) throw ErrnoError(env, "listenUnix", errno);
  return Napi::Number::New(env, fd);
}

// Accepts one connection on a listening socket and receives one fd sent with
// SCM_RIGHTS (a pty master); null if no connection came within timeoutMs
// (or no message within 10 s of it).
Napi::Value ReceiveFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int listen_fd = info[0].As<Napi::Number>().Int32Value();
  int timeout_ms = info[1].As<Napi::Number>().Int32Value();
  struct pollfd p {};
  p.fd = listen_fd;
  p.events = POLLIN;
  int rc;
  do { rc = poll(&p, 1, timeout_ms); } while (rc < 0 && errno == EINTR);
  if (rc <= 0) return env.Null();
  int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) throw ErrnoError(env, "receiveFd: accept", errno);
  char name[256];
  int fd = -1;
  // The runtime connects before it clones the init, which sends the master
  // only after its mounts: once connected, wait for the message itself.
  constexpr int kMessageTimeoutMs = 10000;
  p.fd = conn;
  if (poll(&p, 1, kMessageTimeoutMs) <= 0) {
    close(conn);
    return env.Null();
  }
  long n = ReceiveWithFd(conn, name, sizeof(name) - 1, &fd);
  close(conn);
  if (n <= 0 || fd < 0) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", fd);
  out.Set("name", Napi::String::New(env, std::string(name, static_cast<size_t>(n))));
  return out;
}

Napi::Value StrError(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), strerror(info[0].As<Napi::Number>().Int32Value()));
}

}  // namespace ocirt
