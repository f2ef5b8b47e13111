// Runs one hook (config.md "POSIX-platform Hooks"): fork, join the
// container's namespaces when asked, exec path with args and env, feed the
// state on stdin, collect what it prints, and kill it at its timeout.
#include "hook.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "hook_child.h"
#include "hook_pump.h"
#include "napi_error.h"
#include "sys.h"

namespace ocirt {
namespace {

constexpr size_t kOutputLimit = 64 * 1024;

// Opens the namespaces to join, in the order TypeScript chose
// (src/container/hooks.ts: user first, as it owns the others).
std::vector<NamespaceJoin> OpenNamespaces(Napi::Env env, Napi::Array joins) {
  std::vector<NamespaceJoin> fds;
  for (uint32_t i = 0; i < joins.Length(); i++) {
    Napi::Object join = joins.Get(i).As<Napi::Object>();
    NamespaceJoin ns;
    ns.path = join.Get("path").As<Napi::String>().Utf8Value();
    // CLONE_NEW*: setns checks that the file is a namespace of that type.
    ns.type = join.Get("type").As<Napi::Number>().Int32Value();
    ns.fd = open(ns.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns.fd < 0) {
      int e = errno;
      for (auto& f : fds) close(f.fd);
      throw ErrnoError(env, ("hook: " + ns.path).c_str(), e);
    }
    fds.push_back(std::move(ns));
  }
  return fds;
}

}  // namespace

Napi::Value RunHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object spec = info[0].As<Napi::Object>();
  std::string path = spec.Get("path").As<Napi::String>().Utf8Value();
  std::vector<std::string> args, envs;
  Napi::Array a = spec.Get("args").As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) args.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  Napi::Array e = spec.Get("env").As<Napi::Array>();
  for (uint32_t i = 0; i < e.Length(); i++) envs.push_back(e.Get(i).As<Napi::String>().Utf8Value());
  std::string input = spec.Get("stdin").As<Napi::String>().Utf8Value();
  int64_t timeout_ms = spec.Get("timeoutMs").As<Napi::Number>().Int64Value();
  Napi::Value cwd_value = spec.Get("cwd");
  std::string cwd = cwd_value.IsString() ? cwd_value.As<Napi::String>().Utf8Value() : std::string();

  std::vector<char*> argv, envp;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : envs) envp.push_back(s.data());
  envp.push_back(nullptr);

  // The namespace fds are closed in the parent once the child is cloned (or not).
  struct NamespaceFds {
    std::vector<NamespaceJoin> joins;
    ~NamespaceFds() { Close(); }
    void Close() {
      for (auto& ns : joins)
        if (ns.fd >= 0) close(std::exchange(ns.fd, -1));
    }
  } namespaces {OpenNamespaces(env, spec.Get("namespaces").As<Napi::Array>())};

  UniqueFd stdin_read, stdin_write, output_read, output_write;
  if (!MakePipe(stdin_read, stdin_write) || !MakePipe(output_read, output_write)) throw ErrnoError(env, "hook: pipe", errno);

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int raw_pidfd = -1;
  struct clone_args clone_request = PidfdCloneArgs(&raw_pidfd);
  long pid = Clone3(&clone_request);
  if (pid == 0) HookChild(namespaces.joins.data(), namespaces.joins.size(), stdin_read.Get(), output_write.Get(), path.c_str(), argv.data(), envp.data(), cwd.c_str());
  int clone_errno = errno;
  UniqueFd pidfd(raw_pidfd);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  stdin_read.Reset();
  output_write.Reset();
  namespaces.Close();
  if (pid < 0) throw ErrnoError(env, "hook: clone3", clone_errno);

  std::string output;
  const int64_t deadline = timeout_ms > 0 ? MonotonicMs() + timeout_ms : -1;
  struct iovec state {
    input.data(), input.size()
  };
  bool timed_out = PumpHook(
      pidfd.Get(), stdin_write.Release(), output_read.Release(), &state, 1, deadline, [](void* context, const char* bytes, size_t n) {
        std::string& collected = *static_cast<std::string*>(context);
        if (collected.size() < kOutputLimit) collected.append(bytes, std::min(n, kOutputLimit - collected.size()));
      },
      &output);
  int status = 0;
  while (waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {}
  pidfd.Reset();

  Napi::Object result = Napi::Object::New(env);
  result.Set("status", WIFEXITED(status) ? Napi::Number::New(env, WEXITSTATUS(status)) : env.Null());
  result.Set("signal", WIFSIGNALED(status) ? Napi::Number::New(env, WTERMSIG(status)) : env.Null());
  result.Set("timedOut", Napi::Boolean::New(env, timed_out));
  result.Set("output", Napi::String::New(env, output));
  return result;
}

}  // namespace ocirt
