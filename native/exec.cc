// The last steps of the init (native/child.h): finding the program, loading
// seccomp, waiting for `start` on exec.sock and execve. Child code: no allocator.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "child.h"
#include "sys.h"
#include "unix_socket.h"

namespace ocirt {
namespace {

bool IsExecutableFile(int dirfd, const char* path) {
  struct stat st {};
  return fstatat(dirfd, path, &st, 0) == 0 && !S_ISDIR(st.st_mode) && (st.st_mode & 0111) != 0;
}

// Waits for `start` on listen_fd; a signal of `exit_set` (blocked, read
// from a signalfd) ends the init with 128 + its number instead. Returns the
// connection, or -1.
int AcceptStartOrExitOnSignal(int listen_fd, const sigset_t& exit_set) {
  int signals = signalfd(-1, &exit_set, SFD_CLOEXEC);
  if (signals < 0) return -1;
  struct pollfd waits[2] = {{signals, POLLIN, 0}, {listen_fd, POLLIN, 0}};
  for (;;) {
    int rc = poll(waits, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return -1;
    // A signal first: as with a handler, it ends the init even with a connection pending.
    if (waits[0].revents != 0) {
      struct signalfd_siginfo info {};
      if (read(signals, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) _exit(128 + static_cast<int>(info.ssi_signo));
      continue;
    }
    int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn >= 0) {
      // Closed here, not left to ExecUserProgram's CloseRange: in a gap of
      // the preserved range it would lose FD_CLOEXEC there and reach the program.
      close(signals);
      return conn;
    }
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) return -1;
  }
}

}  // namespace

// runc's rule (Go's exec.LookPath): a name with a slash is used as it is
// (relative to the cwd); otherwise the first executable in the container's PATH.
// The error texts are runc's, which podman maps to exit codes 127 and 126.
void LookUpExecutable(Child& c) {
  const ProcessPlan& p = c.plan->process;
  const char* name = p.args[0].c_str();
  UniqueFd cwd(open(p.cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cwd.Valid()) Fail(c, kPhaseCwd, 0, errno, p.cwd.c_str());
  if (strchr(name, '/') != nullptr) {
    struct stat st {};
    if (fstatat(cwd.Get(), name, &st, 0) != 0) Fail(c, kPhaseExecLookup, 1, errno, name);
    if (S_ISDIR(st.st_mode) || (st.st_mode & 0111) == 0) Fail(c, kPhaseExecLookup, 1, EACCES, name);
    size_t n = strlen(name);
    if (n >= sizeof(c.exec_path)) Fail(c, kPhaseExecLookup, 1, ENAMETOOLONG, name);
    memcpy(c.exec_path, name, n + 1);
    return;
  }
  for (const std::string& dir : p.search_path) {
    const char* d = dir.empty() ? "." : dir.c_str();
    if (!JoinPath(c.exec_path, sizeof(c.exec_path), d, name)) continue;
    if (IsExecutableFile(cwd.Get(), c.exec_path)) return;
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
  UniqueFd notify_fd(rc);
  InitReport listener {};
  listener.kind = kReportSeccompListener;
  static const char kMarker[1] = {'\0'};
  long sent = report ? SendWithFd(channel, notify_fd.Get(), &listener, sizeof(listener)) : SendWithFd(channel, notify_fd.Get(), kMarker, sizeof(kMarker));
  return sent < 0 ? -1 : 0;
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

// Reports ready, waits in accept() on exec.sock for `start`, then execs.
[[noreturn]] void WaitForStartThenExec(Child& c) {
  // Ready: PR_SET_PDEATHSIG is cleared now, while the parent surely lives (it
  // would kill us if cleared after its exit), and the "recorded" pipe takes
  // over: an init whose creator was killed before it recorded our pid in
  // state.json would be a container nobody can find. The parent writes its
  // byte before it exits, so only its death or a failed create gives EOF.
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  SendReport(c.status_fd, kReportReady);
  close(c.status_fd);
  if (c.recorded_fd >= 0) {
    if (!WaitForByte(c.recorded_fd)) _exit(1);
    close(c.recorded_fd);
  }

  // While created, a signal whose default is to terminate terminates the
  // init (as with runc, whose init is a Go program with handlers): pid 1 of a
  // pid namespace would otherwise ignore it, since its disposition is SIG_DFL.
  // Those signals are blocked and read from a signalfd rather than caught:
  // the dispositions stay SIG_DFL, so after `start` connects there are none
  // to restore (64 rt_sigaction calls on start's path before, issue 11). A
  // blocked signal is queued even to a pid namespace's init (the kernel
  // ignores only unblocked ones with SIG_DFL), so the signalfd sees it.
  // glibc's sigaddset leaves out its own two real-time signals, as its
  // sigaction refused them before.
  sigset_t exit_set, all;
  sigemptyset(&exit_set);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH ||
        sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) continue;
    sigaddset(&exit_set, sig);
  }
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &exit_set, nullptr);

  int conn = AcceptStartOrExitOnSignal(c.listen_fd, exit_set);
  if (conn < 0) _exit(1);
  // From here a signal waits (blocked) for the program, which gets it with
  // the default disposition: every disposition is still SIG_DFL.
  sigprocmask(SIG_SETMASK, &all, nullptr);
  close(c.listen_fd);
  ExecUserProgram(c, conn, false);
}

}  // namespace ocirt
