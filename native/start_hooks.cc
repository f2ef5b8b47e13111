// startContainer hooks, run by the init (native/child.h). Child code: no allocator.
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "child.h"
#include "child_steps.h"
#include "hook_pump.h"
#include "sys.h"

namespace ocirt {
namespace {

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
  UniqueFd stdin_read, stdin_write, output_read, output_write;
  if (!MakePipe(stdin_read, stdin_write) || !MakePipe(output_read, output_write)) return -1;
  int raw_pidfd = -1;
  struct clone_args args = PidfdCloneArgs(&raw_pidfd);
  long pid = Clone3(&args);
  if (pid == 0) {
    // Only the state, the output pipe, and nothing else of the init's.
    if (!RedirectHookStdio(stdin_read.Get(), output_write.Get())) _exit(126);
    CloseRange(3, ~0u);
    ExecHookProgram(hook.path.c_str(), const_cast<char* const*>(hook.argv.data()), const_cast<char* const*>(hook.envp.data()));
  }
  UniqueFd pidfd(raw_pidfd);
  stdin_read.Reset();
  output_write.Reset();
  if (pid < 0) return -1;

  const int64_t deadline = hook.timeout_s > 0 ? MonotonicMs() + static_cast<int64_t>(hook.timeout_s) * 1000 : -1;
  struct iovec state[3];
  for (int i = 0; i < 3; i++) state[i] = {const_cast<char*>(state_parts[i]), strlen(state_parts[i])};
  *timed_out = PumpHook(
      pidfd.Get(), stdin_write.Release(), output_read.Release(), state, 3, deadline, [](void* context, const char* bytes, size_t n) {
        static_cast<TextBuffer*>(context)->Add(bytes, n);
      },
      &output);
  int status = 0;
  while (waitpid(static_cast<pid_t>(pid), &status, 0) < 0 && errno == EINTR) {}
  pidfd.Reset();
  // A hook that closed its stdin early made our write raise SIGPIPE, which
  // is blocked here: take it, or the program would get it at execve.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  struct timespec no_wait {};
  while (sigtimedwait(&pipe_signal, nullptr, &no_wait) == SIGPIPE) {}
  return status;
}

}  // namespace

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

}  // namespace ocirt
