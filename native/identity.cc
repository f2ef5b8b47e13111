// The init's identity and process attributes (native/child.h): users,
// groups, capabilities, no_new_privs; personality, scheduling, I/O priority,
// CPU affinity and the LSM exec label. Child code: no allocator.
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "child.h"
#include "sys.h"

namespace ocirt {
namespace {

// The LSM label the program gets at execve (AppArmor: "exec <profile>";
// SELinux: the context), written to the first attr file that exists, on the
// container's procfs only (as the sysctls: something else mounted over /proc
// must not receive it).
int WriteExecLabel(const ProcessPlan& p) {
  UniqueFd fd;
  for (const std::string& name : p.exec_label_files) {
    char path[PATH_MAX];
    if (!JoinPath(path, sizeof(path), "/proc/thread-self", name.c_str())) {
      errno = ENAMETOOLONG;
      return -1;
    }
    fd.Reset(OpenAt2(AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NOCTTY, RESOLVE_NO_MAGICLINKS));
    if (fd.Valid() || errno != ENOENT) break;
  }
  if (!fd.Valid()) return -1;
  struct statfs fs {};
  if (fstatfs(fd.Get(), &fs) != 0) return -1;
  if (fs.f_type != PROC_SUPER_MAGIC) {
    errno = EXDEV;
    return -1;
  }
  return write(fd.Get(), p.exec_label.data(), p.exec_label.size()) == static_cast<ssize_t>(p.exec_label.size()) ? 0 : -1;
}

}  // namespace

// Personality, scheduling, I/O priority, the final CPU affinity and the LSM
// label for exec: while
// still privileged (real-time policies, negative nice and the RT I/O class
// need CAP_SYS_NICE / CAP_SYS_ADMIN) and before seccomp, which may deny them.
void ApplyProcessAttributes(Child& c) {
  const ProcessPlan& p = c.plan->process;
  if (p.has_personality && syscall(SYS_personality, p.personality) < 0) Fail(c, kPhasePersonality, 0, errno);
  if (p.has_scheduler && syscall(SYS_sched_setattr, 0, &p.scheduler, 0) != 0) Fail(c, kPhaseScheduler, 0, errno);
  constexpr int kIoprioWhoProcess = 1;
  if (p.has_io_priority && syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, p.io_priority) != 0) Fail(c, kPhaseIoPriority, 0, errno);
  // config.md execCPUAffinity.final: the affinity after the move into the container's cgroup.
  if (p.has_final_cpus && sched_setaffinity(0, sizeof(p.final_cpus), &p.final_cpus) != 0) Fail(c, kPhaseCpuAffinity, 1, errno);
  if (!p.exec_label_files.empty() && WriteExecLabel(p) != 0) Fail(c, kPhaseSecurityLabel, 0, errno);
}

void ApplyIdentity(Child& c) {
  const ProcessPlan& p = c.plan->process;
  const Capabilities& caps = p.caps;
  if (caps.present) {
    // Keep the permitted set across setuid so capset can grant what the config asks for.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Fail(c, kPhaseCapabilities, 0, errno);
    for (int cap = 0; cap <= p.last_cap; cap++) {
      if ((caps.bounding >> cap) & 1) continue;
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) Fail(c, kPhaseCapabilities, 1, errno);
    }
  }
  if (!c.plan->setgroups_deny) {
    // The vector holds uint32_t, which is gid_t on Linux.
    if (SetGroups(p.additional_gids.size(), reinterpret_cast<const gid_t*>(p.additional_gids.data())) != 0)
      Fail(c, kPhaseIdentity, 0, errno);
  }
  if (SetResGid(p.gid) != 0) Fail(c, kPhaseIdentity, 1, errno);
  if (SetResUid(p.uid) != 0) Fail(c, kPhaseIdentity, 2, errno);
  if (caps.present) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) Fail(c, kPhaseCapabilities, 0, errno);
    if (CapSet(caps.effective, caps.permitted, caps.inheritable) != 0) Fail(c, kPhaseCapabilities, 2, errno);
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap <= p.last_cap; cap++) {
      if (((caps.ambient >> cap) & 1) == 0) continue;
      // Like runc: an ambient capability the kernel refuses (not also
      // permitted and inheritable) is not fatal.
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
  }
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Fail(c, kPhaseNoNewPrivileges, 0, errno);
}

}  // namespace ocirt
