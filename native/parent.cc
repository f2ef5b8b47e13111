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
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t len = strlen(buf);
  bool ok = write(fd, buf, len) == static_cast<ssize_t>(len);
  int e = errno;
  close(fd);
  errno = e;
  return ok;
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
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  int e = errno;
  close(fd);
  errno = e;
  return ok;
}

SpawnResult SpawnInit(InitPlan& plan, const std::function<void(int)>& on_pause,
                      const std::function<void(int, int)>& on_seccomp_listener) {
  SpawnResult result;
  // The pointer arrays for execve are built here, where the strings have
  // reached their final place (a moved std::string may move its characters).
  plan.process.argv.clear();
  plan.process.envp.clear();
  for (const auto& s : plan.process.args) plan.process.argv.push_back(s.c_str());
  plan.process.argv.push_back(nullptr);
  for (const auto& s : plan.process.env) plan.process.envp.push_back(s.c_str());
  plan.process.envp.push_back(nullptr);
  auto fail = [&](int32_t phase, int32_t step, int err) {
    result.failed = true;
    result.report.kind = kReportFailure;
    result.report.phase = phase;
    result.report.step = step;
    result.report.err = err;
    return result;
  };
  auto close_joins = [&]() {
    for (auto& j : plan.joins)
      if (j.fd >= 0) {
        close(j.fd);
        j.fd = -1;
      }
    if (plan.runtime_mnt_ns_fd >= 0) {
      close(plan.runtime_mnt_ns_fd);
      plan.runtime_mnt_ns_fd = -1;
    }
    for (auto& s : plan.mount_steps)
      if (s.tree_fd >= 0) {
        close(s.tree_fd);
        s.tree_fd = -1;
      }
  };

  for (size_t i = 0; i < plan.joins.size(); i++) {
    plan.joins[i].fd = open(plan.joins[i].path.c_str(), O_RDONLY | O_CLOEXEC);
    if (plan.joins[i].fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseSetns, static_cast<int32_t>(i), e);
    }
  }
  if (plan.inherit_mount_namespace) {
    plan.runtime_mnt_ns_fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (plan.runtime_mnt_ns_fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseSetns, -2, e);
    }
  }
  // Id-mapped mounts are made here, where we hold every capability in every
  // user namespace (mount_setattr wants CAP_SYS_ADMIN over the mapping's).
  for (size_t i = 0; i < plan.mount_steps.size(); i++) {
    MountStep& s = plan.mount_steps[i];
    if (s.op != kIdmappedBind) continue;
    s.tree_fd = OpenIdmappedTree(s.source, (s.flags & MS_REC) != 0, s.recursive, s.idmap_userns, s.idmap_uid_map, s.idmap_gid_map);
    if (s.tree_fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseMountStep, static_cast<int32_t>(i), e);
    }
  }
  // `exec`'s pid namespace is joined by the stage before it clones the
  // process (see CloneStagedInit): the process born in the container's pid
  // namespace is a copy of the stage, never of ocirt. (ocirt itself may not
  // setns into it anyway: while that holds, the kernel refuses to create
  // threads from this thread, and the JS runtime's thread pools would abort.)
  auto close_pid_join = [&]() {
    if (plan.join_pid_fd >= 0) {
      close(plan.join_pid_fd);
      plan.join_pid_fd = -1;
    }
  };
  if (!plan.join_pid_namespace.empty()) {
    plan.join_pid_fd = open(plan.join_pid_namespace.c_str(), O_RDONLY | O_CLOEXEC);
    if (plan.join_pid_fd < 0) {
      int e = errno;
      close_joins();
      return fail(kPhaseSetns, -1, e);
    }
  }

  // The status channel is a socket pair, not a pipe, so that the child can
  // pass the seccomp listener fd on it (SCM_RIGHTS). EOF still means execve.
  int status_pipe[2], sync_pipe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, status_pipe) != 0) {
    int e = errno;
    close_pid_join();
    close_joins();
    return fail(kPhaseClone, 0, e);
  }
  if (pipe2(sync_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    close_pid_join();
    close_joins();
    return fail(kPhaseClone, 0, e);
  }
  int listen_fd = plan.exec_immediately ? -1 : ListenExecSocket(plan.state_dir);
  if (listen_fd < 0 && !plan.exec_immediately) {
    int e = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    close(sync_pipe[0]);
    close(sync_pipe[1]);
    close_pid_join();
    close_joins();
    return fail(kPhaseListen, 0, e);
  }
  int recorded_pipe[2] = {-1, -1};
  if (!plan.exec_immediately && pipe2(recorded_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    close(sync_pipe[0]);
    close(sync_pipe[1]);
    close(listen_fd);
    close_pid_join();
    close_joins();
    RemoveExecSocket(plan.state_dir);
    return fail(kPhaseClone, 0, e);
  }
  auto close_recorded = [&]() {
    for (int& fd : recorded_pipe)
      if (fd >= 0) {
        close(fd);
        fd = -1;
      }
  };

  int console_fd = -1;
  if (plan.terminal) {
    console_fd = UnixSocketAtPath(plan.console_socket.c_str(), false);
    if (console_fd < 0) {
      int e = errno;
      close(status_pipe[0]);
      close(status_pipe[1]);
      close(sync_pipe[0]);
      close(sync_pipe[1]);
      if (listen_fd >= 0) close(listen_fd);
      close_recorded();
      close_pid_join();
      close_joins();
      RemoveExecSocket(plan.state_dir);
      return fail(kPhaseConsoleSocket, 0, e);
    }
  }

  // The sealed stage, and the plan it runs, as bytes in a second memfd.
  int stage_fd = OpenSealedStage();
  int plan_fd = stage_fd < 0 ? -1 : static_cast<int>(syscall(SYS_memfd_create, "ocirt-plan", MFD_CLOEXEC));
  if (plan_fd >= 0) {
    StageFds fds;
    fds.console_socket_fd = console_fd;
    fds.status_fd = status_pipe[1];
    fds.sync_fd = sync_pipe[0];
    fds.listen_fd = listen_fd;
    fds.recorded_fd = recorded_pipe[0];
    std::string bytes = EncodePlan(plan, fds);
    for (size_t off = 0; off < bytes.size();) {
      ssize_t w = write(plan_fd, bytes.data() + off, bytes.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        int e = errno;
        close(plan_fd);
        plan_fd = -1;
        errno = e;
        break;
      }
      off += static_cast<size_t>(w);
    }
  }
  if (plan_fd < 0) {
    int e = errno;
    if (stage_fd >= 0) close(stage_fd);
    close(status_pipe[0]);
    close(status_pipe[1]);
    close(sync_pipe[0]);
    close(sync_pipe[1]);
    if (listen_fd >= 0) close(listen_fd);
    if (console_fd >= 0) close(console_fd);
    close_pid_join();
    close_joins();
    RemoveExecSocket(plan.state_dir);
    return fail(kPhaseStage, stage_fd < 0 ? 1 : 2, e);
  }

  Child child {};
  child.plan = &plan;
  child.console_socket_fd = console_fd;
  child.status_fd = status_pipe[1];
  child.sync_fd = sync_pipe[0];
  child.listen_fd = listen_fd;
  child.recorded_fd = recorded_pipe[0];
  child.parent_recorded_fd = recorded_pipe[1];
  child.parent_status_fd = status_pipe[0];
  child.parent_sync_fd = sync_pipe[1];

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  struct clone_args args {};
  // The stage: no new namespaces yet (it clones the init with them).
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  // Born in its cgroup: moving a process between cgroups waits for an RCU grace
  // period (cgroup_threadgroup_rwsem), which clone3 into the cgroup does not.
  int cgroup_fd = plan.clone_into_cgroup.empty() ? -1 : open(plan.clone_into_cgroup.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd >= 0) {
    args.flags |= kCloneIntoCgroup;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long pid = Clone3(&args);
  if (pid < 0 && cgroup_fd >= 0 && (errno == EINVAL || errno == E2BIG || errno == ENOSYS)) {
    // A kernel before 5.7: clone as before, and the pid is written to cgroup.procs below.
    args.flags &= ~kCloneIntoCgroup;
    args.cgroup = 0;
    close(cgroup_fd);
    cgroup_fd = -1;
    pid = Clone3(&args);
  }
  if (pid == 0) ExecStage(child, stage_fd, plan_fd);
  int clone_errno = errno;
  close(stage_fd);
  close(plan_fd);
  bool born_in_cgroup = cgroup_fd >= 0 && pid > 0;
  if (cgroup_fd >= 0) close(cgroup_fd);
  close_pid_join();
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  close(status_pipe[1]);
  close(sync_pipe[0]);
  if (listen_fd >= 0) close(listen_fd);
  if (console_fd >= 0) close(console_fd);
  if (recorded_pipe[0] >= 0) {
    close(recorded_pipe[0]);
    recorded_pipe[0] = -1;
  }
  close_joins();
  if (pid < 0) {
    close(status_pipe[0]);
    close(sync_pipe[1]);
    close_recorded();
    RemoveExecSocket(plan.state_dir);
    return fail(kPhaseClone, 1, clone_errno);
  }
  result.pid = static_cast<int>(pid);

  // Kills and reaps the init on any failure from here on, and undoes what the
  // parent made for it. (A forked init is not our child: waitpid just returns.)
  int sync_fd = sync_pipe[1], status_fd = status_pipe[0];
  auto kill_and_reap = [&]() {
    if (pidfd >= 0) syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    if (sync_fd >= 0) {
      close(sync_fd);
      sync_fd = -1;
    }
    if (status_fd >= 0) {
      close(status_fd);
      status_fd = -1;
    }
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    if (pidfd >= 0) {
      close(pidfd);
      pidfd = -1;
    }
    close_recorded();
    RemoveExecSocket(plan.state_dir);
    result.pid = -1;
  };
  auto abort_child = [&](int32_t phase, int err, int32_t step = 0) {
    kill_and_reap();
    fail(phase, step, err);
    result.pid = -1;
    return result;
  };

  // The stage has cloned the init (our child too: CLONE_PARENT) and says its
  // pid; then it exits. From here on `pid` is the init's.
  {
    InitReport staged {};
    size_t got_staged = ReadFull(status_fd, &staged, sizeof(staged));
    if (got_staged != sizeof(staged) || staged.kind != kReportForked) {
      kill_and_reap();
      result.failed = true;
      if (got_staged == sizeof(staged) && staged.kind == kReportFailure) {
        result.report = staged;
      } else {
        fail(kPhaseStage, 3, ECHILD);
      }
      return result;
    }
    while (waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {}
    close(pidfd);
    pid = staged.step;
    result.pid = static_cast<int>(pid);
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (pidfd < 0) return abort_child(kPhaseStage, errno, 4);
  }

  // config.md execCPUAffinity.initial: where the new process runs from the start, before it
  // is moved into the container's cgroup (the child waits on the sync pipe meanwhile).
  if (plan.process.has_initial_cpus &&
      sched_setaffinity(static_cast<pid_t>(pid), sizeof(plan.process.initial_cpus), &plan.process.initial_cpus) != 0)
    return abort_child(kPhaseCpuAffinity, errno);
  // Into its cgroups first: before the id maps (a joined cgroup namespace is
  // unshared by the child only after this) and before it runs any of the plan.
  for (size_t i = 0; i < plan.cgroup_procs.size() && !born_in_cgroup; i++) {
    if (!WritePidTo(plan.cgroup_procs[i].c_str(), static_cast<int>(pid))) {
      int e = errno;
      kill_and_reap();
      fail(kPhaseCgroup, static_cast<int32_t>(i), e);
      return result;
    }
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
  int init_root = -1;
  for (size_t i = 0; i < plan.mount_steps.size() && SourcesFromParent(plan); i++) {
    const MountStep& s = plan.mount_steps[i];
    if (s.op != kDetachedBind) continue;
    if (init_root < 0) init_root = open(("/proc/" + std::to_string(pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int source = init_root < 0 ? -1 : OpenAt2(init_root, s.source.c_str(), O_PATH | O_CLOEXEC, RESOLVE_IN_ROOT);
    int e = errno;
    long sent = source < 0 ? -1 : SendWithFd(status_fd, source, "", 1);
    if (source >= 0) {
      e = errno;
      close(source);
    }
    if (sent != 1) {
      if (init_root >= 0) close(init_root);
      return abort_child(kPhaseMountStep, e, static_cast<int32_t>(i));
    }
  }
  if (init_root >= 0) close(init_root);

  if (!SendGo(sync_fd)) return abort_child(kPhaseSync, errno);

  InitReport report {};
  size_t got = 0;
  // Reads the next report. A seccomp listener fd (sent with its own record)
  // is handed to on_seccomp_listener at once and the next report read: the
  // child may be waiting for the agent in a notified syscall meanwhile.
  auto read_report = [&]() {
    for (;;) {
      got = 0;
      int passed = -1;
      while (got < sizeof(report)) {
        int fd = -1;
        long n = ReceiveWithFd(status_fd, reinterpret_cast<char*>(&report) + got, sizeof(report) - got, &fd);
        if (fd >= 0) {
          if (passed >= 0) close(passed);
          passed = fd;
        }
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      if (got != sizeof(report) || report.kind != kReportSeccompListener || passed < 0) {
        if (passed >= 0) close(passed);
        return;
      }
      try {
        if (on_seccomp_listener) on_seccomp_listener(static_cast<int>(pid), passed);
      } catch (...) {
        close(passed);
        kill_and_reap();
        throw;
      }
      close(passed);
    }
  };
  read_report();
  if (plan.fork_after_unshare && got == sizeof(report) && report.kind == kReportForked) {
    // The first process has exited; the container's process is its child.
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    close(pidfd);
    pid = report.step;
    result.pid = static_cast<int>(pid);
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
    if (pidfd < 0) return abort_child(kPhaseFork, errno);
    read_report();
  }
  if (plan.pause_before_pivot && got == sizeof(report) && report.kind == kReportPaused) {
    try {
      on_pause(static_cast<int>(pid));
    } catch (...) {
      kill_and_reap();
      throw;
    }
    if (!SendGo(sync_fd)) return abort_child(kPhaseSync, errno);
    read_report();
  }
  if ((got == sizeof(report) && report.kind == kReportReady) || (plan.exec_immediately && got == 0)) {
    // Ready and waiting for start; or, for exec, the status pipe closed on execve.
    close(sync_fd);
    close(status_fd);
    close(pidfd);
    result.recorded_fd = recorded_pipe[1];
    return result;
  }
  // The child failed (it has _exit'ed or is about to) or died: reap it.
  kill_and_reap();
  result.failed = true;
  if (got == sizeof(report)) {
    result.report = report;
  } else {
    result.report.kind = kReportFailure;
    result.report.phase = kPhaseSync;
    result.report.step = 1;
    result.report.err = ECHILD;
  }
  return result;
}

}  // namespace ocirt
