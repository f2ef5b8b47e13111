// The init: what the stage clones with the container's namespaces, and the
// sequence of steps it runs (crun's libcrun/container.c child is the model).
// Each step is a checked call that reports its (phase, step) failure record
// on the status channel (sync_protocol.h) and exits; the steps themselves
// are in rootfs.cc, console.cc, identity.cc, exec.cc and start_hooks.cc.
//
// The stage is a fresh single-threaded process, but ocirt's cloned child is
// a copy of one thread of a multi-threaded JS runtime, and both follow one
// rule: after clone, raw syscalls, the stack and the plan (allocated before
// the clone) only; failure is a fixed-size record over a close-on-exec
// channel. scripts/check-child-symbols.sh checks that these objects call no
// allocator and throw nothing.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "child.h"
#include "child_steps.h"
#include "sys.h"
#include "unix_socket.h"

namespace ocirt {
namespace {

// Signals were blocked before clone3, so no handler of the JS runtime can
// run here. Every disposition is reset, the parent's ends of the channels
// are closed, and the init dies with its parent while being set up.
void BecomeInit(Child& c) {
  const InitPlan& plan = *c.plan;
  // The runtime ignores SIGPIPE and SIGXFSZ, and ignored signals would survive execve.
  ResetSignalDispositions();

  // Only the parent reads the status pipe and writes the sync pipe; keeping
  // those ends would also hand them to the program if they fell inside the
  // preserved fd range.
  // (The init the stage clones has none of them: -1.)
  if (c.parent_status_fd >= 0) close(c.parent_status_fd);
  if (c.parent_sync_fd >= 0) close(c.parent_sync_fd);
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
}

// Waits for the parent to write the id maps and oom_score_adj, and takes the
// bind sources it opened for us (SourcesFromParent).
void WaitForParent(Child& c) {
  InitPlan& plan = *c.plan;
  if (!WaitForByte(c.sync_fd)) _exit(1);
  for (size_t i = 0; i < plan.mount_steps.size() && SourcesFromParent(plan); i++) {
    MountStep& s = plan.mount_steps[i];
    if (s.op != kDetachedBind) continue;
    char byte = 0;
    if (ReceiveWithFd(c.status_fd, &byte, 1, &s.tree_fd) != 1 || s.tree_fd < 0) Fail(c, kPhaseMountStep, static_cast<int32_t>(i), EBADF);
  }
  if (!plan.pause_before_pivot) close(c.sync_fd);
}

// The namespaces to join, those to unshare, a chroot for a join-only plan,
// and the time namespace's offsets.
void EnterNamespaces(Child& c) {
  const InitPlan& plan = *c.plan;
  int failed = JoinNamespaces(plan.joins.data(), plan.joins.size());
  if (failed >= 0) Fail(c, kPhaseSetns, failed, errno);
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
}

// The unshared pid (or time) namespace is entered by children only: the
// child goes on as the container's process; this one tells the parent its
// pid (valid there: we are still in the parent's pid namespace) and exits.
void ForkIntoNewPidNamespace(Child& c) {
  long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (child < 0) Fail(c, kPhaseFork, 0, errno);
  if (child > 0) {
    SendReport(c.status_fd, kReportForked, static_cast<int32_t>(child));
    _exit(0);
  }
  // pdeathsig is not inherited; the parent it would watch is exiting anyway.
  // If ocirt dies now, the closed pipes end this process (EOF or SIGPIPE).
}

// As runc (nsexec.c, for init and exec alike): the container's process leads
// its own session and process group, so that a client signalling that group
// (conmon kills it on `podman run --timeout`) never hits the client itself.
// In a (new or joined) user namespace it becomes that namespace's root: the
// maps are written by now.
void StartSession(Child& c) {
  const InitPlan& plan = *c.plan;
  if (setsid() < 0) Fail(c, kPhaseSession, 0, errno);
  bool user_namespace = ((plan.clone_flags | plan.unshare_flags) & CLONE_NEWUSER) != 0;
  for (const auto& j : plan.joins) user_namespace |= j.type == CLONE_NEWUSER;
  if (user_namespace) {
    if (SetResGid(0) != 0 || SetResUid(0) != 0) Fail(c, kPhaseIdentity, 3, errno);
  }
}

// The session keyring, hostname and domainname.
void SetKernelNames(Child& c) {
  const InitPlan& plan = *c.plan;
  if (!plan.session_keyring.empty() &&
      syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, plan.session_keyring.c_str(), 0, 0, 0) < 0 && errno != ENOSYS)
    Fail(c, kPhaseKeyring, 0, errno);

  if (plan.has_hostname && sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
    Fail(c, kPhaseHostname, 0, errno);
  if (plan.has_domainname && setdomainname(plan.domainname.data(), plan.domainname.size()) != 0)
    Fail(c, kPhaseHostname, 1, errno);
}

void AttachConsole(Child& c) {
  int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) Fail(c, kPhaseConsole, 10, errno);
  SetUpConsole(c, rootfd);
  close(rootfd);
}

void ApplyRlimits(Child& c) {
  const InitPlan& plan = *c.plan;
  for (size_t i = 0; i < plan.rlimits.size(); i++) {
    struct rlimit rl {};
    rl.rlim_cur = plan.rlimits[i].soft;
    rl.rlim_max = plan.rlimits[i].hard;
    if (setrlimit(static_cast<__rlimit_resource>(plan.rlimits[i].resource), &rl) != 0)
      Fail(c, kPhaseRlimit, static_cast<int32_t>(i), errno);
  }
}

}  // namespace

[[noreturn]] void ChildMain(Child& c) {
  InitPlan& plan = *c.plan;
  BecomeInit(c);
  WaitForParent(c);
  EnterNamespaces(c);
  if (plan.fork_after_unshare) ForkIntoNewPidNamespace(c);
  StartSession(c);
  SetKernelNames(c);
  if (!plan.join_only) SetUpRootfs(c);
  if (plan.terminal) AttachConsole(c);
  if (plan.inherit_mount_namespace) ReturnToRuntimeMountNamespace(c);
  ApplyRlimits(c);
  ApplyProcessAttributes(c);
  // Without no_new_privs, loading the filter needs CAP_SYS_ADMIN: before the
  // capabilities are dropped (see LoadSeccomp).
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
  SendReport(status_fd, kReportForked, static_cast<int32_t>(pid));
}
}  // namespace ocirt
