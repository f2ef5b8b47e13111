// The parent's side of the container init (SpawnInit): ocirt opens what the
// init needs, clones the stage (native/exec_stage.cc), and drives the init
// through the exchange drawn in native/sync_protocol.h until it waits for
// `start` (or has exec'd, for `exec`). This side may allocate; the child's
// code is in its own objects (native/child.h).
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "child.h"
#include "idmap.h"
#include "init.h"
#include "plan_wire.h"
#include "stage_image.h"
#include "sync_protocol.h"
#include "sys.h"
#include "unix_socket.h"

namespace ocirt {
namespace {

bool WritePidTo(const char* path, int pid) {
  char buf[24];
  FormatDecimal(pid, buf);
  UniqueFd fd(open(path, O_WRONLY | O_CLOEXEC));
  if (!fd.Valid()) return false;
  size_t len = strlen(buf);
  return write(fd.Get(), buf, len) == static_cast<ssize_t>(len);
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
  UniqueFd fd(open(path, O_WRONLY | O_CLOEXEC));
  if (!fd.Valid()) return false;
  return write(fd.Get(), content.data(), content.size()) == static_cast<ssize_t>(content.size());
}

namespace {

SpawnResult Failed(int32_t phase, int32_t step, int err) {
  SpawnResult result;
  result.failed = true;
  result.report.kind = kReportFailure;
  result.report.phase = phase;
  result.report.step = step;
  result.report.err = err;
  return result;
}

// The fds the plan carries to the init (namespaces to join, the runtime's
// mount namespace, id-mapped trees, `exec`'s pid namespace): opened before
// the clone, and closed in the parent once the clone has happened or failed.
// They live in the plan itself (the stage receives their numbers), hence
// this owner instead of UniqueFds.
class PlanFds {
 public:
  explicit PlanFds(InitPlan& plan) : plan_(plan) {}
  PlanFds(const PlanFds&) = delete;
  PlanFds& operator=(const PlanFds&) = delete;
  ~PlanFds() { Close(); }

  // Opens them all; on failure the result names the (phase, step).
  bool Open(SpawnResult& failure) {
    for (size_t i = 0; i < plan_.joins.size(); i++) {
      plan_.joins[i].fd = open(plan_.joins[i].path.c_str(), O_RDONLY | O_CLOEXEC);
      if (plan_.joins[i].fd < 0) return Fail(failure, kPhaseSetns, static_cast<int32_t>(i));
    }
    if (plan_.inherit_mount_namespace) {
      plan_.runtime_mnt_ns_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
      if (plan_.runtime_mnt_ns_fd < 0) return Fail(failure, kPhaseSetns, -2);
    }
    // Id-mapped mounts are made here, where we hold every capability in every
    // user namespace (mount_setattr wants CAP_SYS_ADMIN over the mapping's).
    for (size_t i = 0; i < plan_.mount_steps.size(); i++) {
      MountStep& s = plan_.mount_steps[i];
      if (s.op != kIdmappedBind) continue;
      s.tree_fd = OpenIdmappedTree(s.source, (s.flags & MS_REC) != 0, s.recursive, s.idmap_userns, s.idmap_uid_map, s.idmap_gid_map);
      if (s.tree_fd < 0) return Fail(failure, kPhaseMountStep, static_cast<int32_t>(i));
    }
    // `exec`'s pid namespace is joined by the stage before it clones the
    // process (see CloneStagedInit): the process born in the container's pid
    // namespace is a copy of the stage, never of ocirt. (ocirt itself may not
    // setns into it anyway: while that holds, the kernel refuses to create
    // threads from this thread, and the JS runtime's thread pools would abort.)
    if (!plan_.join_pid_namespace.empty()) {
      plan_.join_pid_fd = open(plan_.join_pid_namespace.c_str(), O_RDONLY | O_CLOEXEC);
      if (plan_.join_pid_fd < 0) return Fail(failure, kPhaseSetns, -1);
    }
    return true;
  }

  void Close() {
    CloseAndForget(plan_.join_pid_fd);
    for (auto& j : plan_.joins) CloseAndForget(j.fd);
    CloseAndForget(plan_.runtime_mnt_ns_fd);
    for (auto& s : plan_.mount_steps) CloseAndForget(s.tree_fd);
  }

 private:
  bool Fail(SpawnResult& failure, int32_t phase, int32_t step) {
    int e = errno;
    Close();
    failure = Failed(phase, step, e);
    return false;
  }
  static void CloseAndForget(int& fd) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  InitPlan& plan_;
};

// exec.sock is removed again if the create fails after it was made.
class ExecSocket {
 public:
  explicit ExecSocket(const std::string& state_dir) : state_dir_(state_dir) {}
  ExecSocket(const ExecSocket&) = delete;
  ExecSocket& operator=(const ExecSocket&) = delete;
  ~ExecSocket() {
    if (remove_) RemoveExecSocket(state_dir_);
  }
  UniqueFd Listen() {
    UniqueFd fd(ListenExecSocket(state_dir_));
    remove_ = fd.Valid();
    return fd;
  }
  void Keep() { remove_ = false; }

 private:
  const std::string& state_dir_;
  bool remove_ = false;
};

// The plan as the bytes the stage decodes, in a memfd; -1 with errno.
int WriteStagePlan(const InitPlan& plan, const StageFds& fds) {
  UniqueFd plan_fd(static_cast<int>(syscall(SYS_memfd_create, "ocirt-plan", MFD_CLOEXEC)));
  if (!plan_fd.Valid()) return -1;
  std::string bytes = EncodePlan(plan, fds);
  for (size_t off = 0; off < bytes.size();) {
    ssize_t w = write(plan_fd.Get(), bytes.data() + off, bytes.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    off += static_cast<size_t>(w);
  }
  return plan_fd.Release();
}

}  // namespace

SpawnResult SpawnInit(InitPlan& plan, const std::function<void(int)>& on_pause,
                      const std::function<void(int, int)>& on_seccomp_listener) {
  // The pointer arrays for execve are built here, where the strings have
  // reached their final place (a moved std::string may move its characters).
  plan.process.argv.clear();
  plan.process.envp.clear();
  for (const auto& s : plan.process.args) plan.process.argv.push_back(s.c_str());
  plan.process.argv.push_back(nullptr);
  for (const auto& s : plan.process.env) plan.process.envp.push_back(s.c_str());
  plan.process.envp.push_back(nullptr);

  SpawnResult result;
  PlanFds plan_fds(plan);
  if (!plan_fds.Open(result)) return result;

  // The channels of sync_protocol.h. The status channel is a socket pair,
  // not a pipe, so that the child can pass the seccomp listener fd on it
  // (SCM_RIGHTS). EOF still means execve.
  UniqueFd status_fd, child_status_fd, child_sync_fd, sync_fd, listen_fd, child_recorded_fd, recorded_fd, console_fd;
  int status_pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, status_pair) != 0) return Failed(kPhaseClone, 0, errno);
  status_fd.Reset(status_pair[0]);
  child_status_fd.Reset(status_pair[1]);
  if (!MakePipe(child_sync_fd, sync_fd)) return Failed(kPhaseClone, 0, errno);
  ExecSocket exec_socket(plan.state_dir);
  if (!plan.exec_immediately) {
    listen_fd = exec_socket.Listen();
    if (!listen_fd.Valid()) return Failed(kPhaseListen, 0, errno);
    if (!MakePipe(child_recorded_fd, recorded_fd)) return Failed(kPhaseClone, 0, errno);
  }
  if (plan.terminal) {
    console_fd.Reset(UnixSocketAtPath(plan.console_socket.c_str(), false));
    if (!console_fd.Valid()) return Failed(kPhaseConsoleSocket, 0, errno);
  }

  // The sealed stage, and the plan it runs, as bytes in a second memfd.
  UniqueFd stage_fd(OpenSealedStage());
  if (!stage_fd.Valid()) return Failed(kPhaseStage, 1, errno);
  StageFds fds;
  fds.console_socket_fd = console_fd.Get();
  fds.status_fd = child_status_fd.Get();
  fds.sync_fd = child_sync_fd.Get();
  fds.listen_fd = listen_fd.Get();
  fds.recorded_fd = child_recorded_fd.Get();
  UniqueFd plan_fd(WriteStagePlan(plan, fds));
  if (!plan_fd.Valid()) return Failed(kPhaseStage, 2, errno);

  Child child {};
  child.plan = &plan;
  child.console_socket_fd = console_fd.Get();
  child.status_fd = child_status_fd.Get();
  child.sync_fd = child_sync_fd.Get();
  child.listen_fd = listen_fd.Get();
  child.recorded_fd = child_recorded_fd.Get();
  child.parent_recorded_fd = recorded_fd.Get();
  child.parent_status_fd = status_fd.Get();
  child.parent_sync_fd = sync_fd.Get();

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int raw_pidfd = -1;
  // The stage: no new namespaces yet (it clones the init with them).
  struct clone_args args = PidfdCloneArgs(&raw_pidfd);
  // Born in its cgroup: moving a process between cgroups waits for an RCU grace
  // period (cgroup_threadgroup_rwsem), which clone3 into the cgroup does not.
  UniqueFd cgroup_fd(plan.clone_into_cgroup.empty() ? -1 : open(plan.clone_into_cgroup.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (cgroup_fd.Valid()) {
    args.flags |= kCloneIntoCgroup;
    args.cgroup = static_cast<uint64_t>(cgroup_fd.Get());
  }
  long pid = Clone3(&args);
  if (pid < 0 && cgroup_fd.Valid() && (errno == EINVAL || errno == E2BIG || errno == ENOSYS)) {
    // A kernel before 5.7: clone as before, and the pid is written to cgroup.procs below.
    args.flags &= ~kCloneIntoCgroup;
    args.cgroup = 0;
    cgroup_fd.Reset();
    pid = Clone3(&args);
  }
  if (pid == 0) ExecStage(child, stage_fd.Get(), plan_fd.Get());
  int clone_errno = errno;
  UniqueFd pidfd(raw_pidfd);
  bool born_in_cgroup = cgroup_fd.Valid() && pid > 0;
  // What only the child needs is closed at once in the parent.
  stage_fd.Reset();
  plan_fd.Reset();
  cgroup_fd.Reset();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  child_status_fd.Reset();
  child_sync_fd.Reset();
  listen_fd.Reset();
  console_fd.Reset();
  child_recorded_fd.Reset();
  plan_fds.Close();
  if (pid < 0) return Failed(kPhaseClone, 1, clone_errno);
  result.pid = static_cast<int>(pid);

  // Kills and reaps the init on any failure from here on, and undoes what the
  // parent made for it. (A forked init is not our child: waitpid just returns.)
  auto kill_and_reap = [&]() {
    if (pidfd.Valid()) syscall(SYS_pidfd_send_signal, pidfd.Get(), SIGKILL, nullptr, 0);
    sync_fd.Reset();
    status_fd.Reset();
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    pidfd.Reset();
    recorded_fd.Reset();
    RemoveExecSocket(plan.state_dir);
    result.pid = -1;
  };
  auto abort_child = [&](int32_t phase, int err, int32_t step = 0) {
    kill_and_reap();
    return Failed(phase, step, err);
  };

  // The stage has cloned the init (our child too: CLONE_PARENT) and says its
  // pid; then it exits. From here on `pid` is the init's.
  {
    InitReport staged {};
    size_t got_staged = ReadFull(status_fd.Get(), &staged, sizeof(staged));
    if (got_staged != sizeof(staged) || staged.kind != kReportForked) {
      kill_and_reap();
      if (got_staged == sizeof(staged) && staged.kind == kReportFailure) {
        result.failed = true;
        result.report = staged;
        return result;
      }
      return Failed(kPhaseStage, 3, ECHILD);
    }
    while (waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {}
    pid = staged.step;
    result.pid = static_cast<int>(pid);
    pidfd.Reset(static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
    if (!pidfd.Valid()) return abort_child(kPhaseStage, errno, 4);
  }

  // config.md execCPUAffinity.initial: where the new process runs from the start, before it
  // is moved into the container's cgroup (the child waits on the sync pipe meanwhile).
  if (plan.process.has_initial_cpus &&
      sched_setaffinity(static_cast<pid_t>(pid), sizeof(plan.process.initial_cpus), &plan.process.initial_cpus) != 0)
    return abort_child(kPhaseCpuAffinity, errno);
  // Into its cgroups first: before the id maps (a joined cgroup namespace is
  // unshared by the child only after this) and before it runs any of the plan.
  for (size_t i = 0; i < plan.cgroup_procs.size() && !born_in_cgroup; i++) {
    if (!WritePidTo(plan.cgroup_procs[i].c_str(), static_cast<int>(pid))) return abort_child(kPhaseCgroup, errno, static_cast<int32_t>(i));
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
  UniqueFd init_root;
  for (size_t i = 0; i < plan.mount_steps.size() && SourcesFromParent(plan); i++) {
    const MountStep& s = plan.mount_steps[i];
    if (s.op != kDetachedBind) continue;
    if (!init_root.Valid()) init_root.Reset(open(("/proc/" + std::to_string(pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd source(!init_root.Valid() ? -1 : OpenAt2(init_root.Get(), s.source.c_str(), O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT));
    long sent = !source.Valid() ? -1 : SendWithFd(status_fd.Get(), source.Get(), "", 1);
    if (sent != 1) return abort_child(kPhaseMountStep, errno, static_cast<int32_t>(i));
  }
  init_root.Reset();

  if (!SendGo(sync_fd.Get())) return abort_child(kPhaseSync, errno);

  InitReport report {};
  size_t got = 0;
  // Reads the next report. A seccomp listener fd (sent with its own record)
  // is handed to on_seccomp_listener at once and the next report read: the
  // child may be waiting for the agent in a notified syscall meanwhile.
  auto read_report = [&]() {
    for (;;) {
      got = 0;
      UniqueFd passed;
      while (got < sizeof(report)) {
        int fd = -1;
        long n = ReceiveWithFd(status_fd.Get(), reinterpret_cast<char*>(&report) + got, sizeof(report) - got, &fd);
        if (fd >= 0) passed.Reset(fd);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      if (got != sizeof(report) || report.kind != kReportSeccompListener || !passed.Valid()) return;
      try {
        if (on_seccomp_listener) on_seccomp_listener(static_cast<int>(pid), passed.Get());
      } catch (...) {
        passed.Reset();
        kill_and_reap();
        throw;
      }
    }
  };
  read_report();
  if (plan.fork_after_unshare && got == sizeof(report) && report.kind == kReportForked) {
    // The first process has exited; the container's process is its child.
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    pid = report.step;
    result.pid = static_cast<int>(pid);
    pidfd.Reset(static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
    if (!pidfd.Valid()) return abort_child(kPhaseFork, errno);
    read_report();
  }
  if (plan.pause_before_pivot && got == sizeof(report) && report.kind == kReportPaused) {
    try {
      on_pause(static_cast<int>(pid));
    } catch (...) {
      kill_and_reap();
      throw;
    }
    if (!SendGo(sync_fd.Get())) return abort_child(kPhaseSync, errno);
    read_report();
  }
  if ((got == sizeof(report) && report.kind == kReportReady) || (plan.exec_immediately && got == 0)) {
    // Ready and waiting for start; or, for exec, the status pipe closed on execve.
    result.recorded_fd = recorded_fd.Release();
    exec_socket.Keep();
    return result;
  }
  // The child failed (it has _exit'ed or is about to) or died: reap it.
  kill_and_reap();
  if (got == sizeof(report)) {
    result.failed = true;
    result.report = report;
    return result;
  }
  return Failed(kPhaseSync, 1, ECHILD);
}

}  // namespace ocirt
