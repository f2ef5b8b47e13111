// What ocirt's own cloned child runs (native/child.h): it becomes the
// sealed stage. Linked into ocirt.node; child code: no allocator.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "sys.h"

namespace ocirt {

// The cloned child's only job (CVE-2019-5736 class): become the sealed stage
// (native/stage_image.cc) while still in ocirt's namespaces. The stage then
// clones the init with the new namespaces, so no process of a container can
// ever see this copy of the ocirt executable as /proc/PID/exe and reopen it
// for writing. The exec happens here, in ocirt's user namespace, and never
// in the container's: an mm exec'd in a user namespace may be ptraced by
// the capabilities of that namespace (the container's root) even when it
// is not dumpable. Still a copy of the JS runtime: raw syscalls, no allocator.
[[noreturn]] void ExecStage(Child& c, int stage_fd, int plan_fd) {
  InitPlan& plan = *c.plan;
  close(c.parent_status_fd);
  close(c.parent_sync_fd);
  if (c.parent_recorded_fd >= 0) close(c.parent_recorded_fd);
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // What the stage inherits keeps its number; it marks them close-on-exec again.
  // Stdio and the preserved fds go on to the program, even where the JS
  // runtime made them close-on-exec (node does for its stdio pipes).
  for (int fd = 0; fd < 3 + plan.preserve_fds; fd++) fcntl(fd, F_SETFD, 0);
  int inherited[] = {c.status_fd, c.sync_fd, c.listen_fd, c.console_socket_fd, c.recorded_fd, plan.join_pid_fd, plan.runtime_mnt_ns_fd, plan_fd};
  for (int fd : inherited)
    if (fd >= 0) fcntl(fd, F_SETFD, 0);
  for (const auto& j : plan.joins)
    if (j.fd >= 0) fcntl(j.fd, F_SETFD, 0);
  for (const auto& s : plan.mount_steps)
    if (s.tree_fd >= 0) fcntl(s.tree_fd, F_SETFD, 0);
  char plan_fd_text[24];
  FormatDecimal(plan_fd, plan_fd_text);
  char name[] = "ocirt-stage";
  char* argv[] = {name, plan_fd_text, nullptr};
  char* envp[] = {nullptr};
  syscall(SYS_execveat, stage_fd, "", argv, envp, AT_EMPTY_PATH);
  Fail(c, kPhaseStage, 0, errno);
}

}  // namespace ocirt
