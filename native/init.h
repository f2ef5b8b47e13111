// The container init: a flat plan built by the parent (TypeScript, marshalled
// here into plain C++ containers) and executed by the cloned child with raw
// syscalls only. After clone the child runs no JS and calls no allocator:
// it only reads the plan, whose strings were all allocated before clone.
#pragma once

#include <sched.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sync_protocol.h"

namespace ocirt {

// Mirrors InitPhase in src/native.ts.
enum Phase : int32_t {
  kPhaseSync = 1,
  kPhaseSetns = 2,
  kPhaseUnshare = 3,
  kPhaseHostname = 4,
  kPhaseRootPropagation = 5,
  kPhaseRootBind = 6,
  kPhaseMountStep = 7,
  kPhasePivot = 8,
  kPhasePostPivotStep = 9,
  kPhaseSysctl = 10,
  kPhaseRlimit = 11,
  kPhaseIdentity = 12,
  kPhaseCapabilities = 13,
  kPhaseNoNewPrivileges = 14,
  kPhaseExecLookup = 15,
  kPhaseCwd = 16,
  kPhaseUserMap = 17,
  kPhaseListen = 18,
  kPhaseOomScoreAdj = 19,
  kPhaseClone = 20,
  kPhaseKeyring = 21,
  kPhaseTimeOffsets = 22,
  kPhaseFork = 23,
  kPhaseSeccomp = 24,
  kPhaseExec = 25,
  kPhaseConsole = 26,
  kPhaseConsoleSocket = 27,
  kPhaseCgroup = 28,
  kPhasePersonality = 29,
  kPhaseScheduler = 30,
  kPhaseIoPriority = 31,
  kPhaseCpuAffinity = 32,
  kPhaseSecurityLabel = 33,
  kPhaseSession = 34,
  kPhaseStage = 35,
};

// Mirrors MountOp in src/native.ts.
enum MountOp : int32_t {
  kMount = 1,
  kRemount = 2,
  kPropagate = 3,
  kMknod = 4,
  kBindDevice = 5,
  kSymlink = 6,
  kMask = 7,
  kReadOnly = 8,
  kMkdir = 9,
  kSetAttr = 10,
  kIdmappedBind = 11,
  kDetachedBind = 12,
};

// Mirrors DumpableUntil in src/native.ts. Until pivot_root the init is alone
// in its new namespaces; until exec, processes exec'd into a created
// container could reach it (its memory and fds; its /proc/PID/exe is the
// sealed stage, see native/stage_image.cc).
enum DumpableUntil : int32_t { kDumpableNever = 0,
                               kDumpableUntilPivot = 1,
                               kDumpableUntilExec = 2 };

enum CreateKind : int32_t { kCreateNone = 0,
                            kCreateDirectory = 1,
                            kCreateFile = 2 };

struct MountStep {
  int32_t op = 0;
  std::string target, source, fstype, data;
  bool has_source = false, has_fstype = false, has_data = false;
  uint64_t flags = 0;
  int32_t create = kCreateNone;
  uint32_t mode = 0, major = 0, minor = 0, uid = 0, gid = 0;
  uint64_t attr_set = 0, attr_clr = 0;
  bool recursive = false;
  // The target may not be reached through any symlink (procfs and sysfs).
  bool no_symlinks = false;
  // kIdmappedBind: the user namespace of the mapping (a path to join, or maps
  // for a new one) and the detached mount the parent made before clone (also
  // kDetachedBind's).
  std::string idmap_userns, idmap_uid_map, idmap_gid_map;
  int tree_fd = -1;
  // tmpcopyup: the new mount starts with a copy of the directory under it.
  bool copy_up = false;
  // Field by field, for the wire round-trip check (CheckPlanWire in native/marshal.cc).
  bool operator==(const MountStep&) const = default;
};

struct Rlimit {
  int32_t resource;
  uint64_t soft, hard;
  bool operator==(const Rlimit&) const = default;
};

struct Capabilities {
  bool present = false;
  uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
  // Field by field, for the wire round-trip check (CheckPlanWire in native/marshal.cc).
  bool operator==(const Capabilities&) const = default;
};

// sched_setattr(2)'s struct sched_attr (SCHED_ATTR_SIZE_VER1), which glibc does not declare.
struct SchedAttr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
  // Field by field, for the wire round-trip check (CheckPlanWire in native/marshal.cc).
  bool operator==(const SchedAttr&) const = default;
};

// cpu_set_t is a C struct without ==; ProcessPlan's defaulted == uses this one.
inline bool operator==(const cpu_set_t& a, const cpu_set_t& b) { return CPU_EQUAL(&a, &b); }

struct ProcessPlan {
  std::vector<std::string> args, env, search_path;
  std::vector<const char*> argv, envp;  // NULL-terminated views of args/env, built before clone
  std::string cwd;
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> additional_gids;
  int32_t umask = -1;
  bool no_new_privileges = false;
  Capabilities caps;
  int32_t last_cap = 40;
  // linux.personality (persona for personality(2)); process.scheduler;
  // process.ioPriority (ioprio_set's value); process.execCPUAffinity.
  bool has_personality = false;
  uint32_t personality = 0;
  bool has_scheduler = false;
  SchedAttr scheduler {};
  bool has_io_priority = false;
  int32_t io_priority = 0;
  bool has_initial_cpus = false, has_final_cpus = false;
  cpu_set_t initial_cpus {}, final_cpus {};
  // AppArmor profile / SELinux label for the program: `exec_label` is written
  // to the first of `exec_label_files` (under /proc/thread-self/) that exists.
  std::vector<std::string> exec_label_files;
  std::string exec_label;
  // Field by field, for the wire round-trip check (CheckPlanWire in native/marshal.cc).
  bool operator==(const ProcessPlan&) const = default;
};

// A startContainer hook (config.md "POSIX-platform Hooks"), run by the init.
struct HookPlan {
  std::string path;
  std::vector<std::string> args, env;
  std::vector<const char*> argv, envp;  // NULL-terminated views, built in the stage
  int32_t timeout_s = 0;                // 0: none
  // Field by field, for the wire round-trip check (CheckPlanWire in native/marshal.cc).
  bool operator==(const HookPlan&) const = default;
};

struct NamespaceJoin {
  int32_t type;
  std::string path;
  int fd = -1;
  bool operator==(const NamespaceJoin&) const = default;
};

struct InitPlan {
  uint64_t clone_flags = 0, unshare_flags = 0;
  std::vector<NamespaceJoin> joins;
  std::string join_pid_namespace;
  bool fork_after_unshare = false;
  std::string time_offsets;
  std::string uid_map, gid_map;
  // newuidmap/newgidmap and their arguments after the pid, for maps the
  // parent may not write itself (unprivileged, with /etc/subuid ranges);
  // empty: the parent writes uid_map/gid_map.
  std::vector<std::string> uid_map_helper, gid_map_helper;
  bool setgroups_deny = false;
  // How long the init stays dumpable (kDumpable*): an unprivileged parent
  // (rootless) cannot reach a non-dumpable process's /proc files.
  int32_t dumpable_until = 0;
  bool has_oom_score_adj = false;
  int32_t oom_score_adj = 0;
  // cgroup.procs files the parent writes the init's pid to before releasing it.
  std::vector<std::string> cgroup_procs;
  // cgroup v2: the directory clone3 puts the init in (CLONE_INTO_CGROUP), so no
  // migration is needed; cgroup_procs is the fallback where the kernel lacks it.
  std::string clone_into_cgroup;
  // cgroup v1: `tasks` files the stage writes "0" to before it clones the
  // process (src/linux/cgroups/manager.ts placement() says why).
  std::vector<std::string> self_place_tasks;
  bool has_hostname = false, has_domainname = false;
  std::string hostname, domainname;
  std::string rootfs;
  uint64_t root_propagation = 0;
  std::vector<MountStep> mount_steps;
  bool no_pivot = false;
  // No mount namespace in the config: the init sets up in a new one, then
  // rejoins the runtime's (this fd, opened before clone) before exec.
  bool inherit_mount_namespace = false;
  int runtime_mnt_ns_fd = -1;
  // `exec` into such a container: the directory to chroot into after the joins.
  std::string chroot_to;
  // --no-pivot: the host's full procfs and sysfs mounts, detached before MS_MOVE.
  std::vector<std::string> no_pivot_detach;
  std::vector<MountStep> post_pivot_steps;
  std::vector<std::pair<std::string, std::string>> sysctls;
  std::vector<Rlimit> rlimits;
  ProcessPlan process;
  int32_t preserve_fds = 0;
  std::string state_dir;
  std::string session_keyring;
  // Stop before pivot_root until the parent has run the create hooks.
  bool pause_before_pivot = false;
  // process.terminal: a pty from the container's devpts becomes stdio and
  // /dev/console; its master goes to the --console-socket.
  bool terminal = false;
  std::string console_socket;
  uint16_t console_rows = 0, console_cols = 0;
  // `exec`: only join namespaces (no rootfs set-up, no pivot_root) ...
  bool join_only = false;
  // ... and exec at once instead of waiting for `start` on exec.sock.
  bool exec_immediately = false;
  // A BPF program (struct sock_filter[]) for seccomp(SECCOMP_SET_MODE_FILTER); empty for none.
  std::vector<uint8_t> seccomp_filter;
  uint32_t seccomp_flags = 0;
  // `exec`: the container's pid namespace, which the stage joins before it
  // clones the process (set by SpawnInit from join_pid_namespace).
  int join_pid_fd = -1;
  // Run by the init after `start` connects, right before the program's
  // execve; their stdin is the state: before_pid + the init's pid + after_pid.
  std::vector<HookPlan> start_container_hooks;
  std::string hook_state_before_pid, hook_state_after_pid;
  // Field by field, for the wire round-trip check (CheckPlanWire in native/marshal.cc).
  bool operator==(const InitPlan&) const = default;
};

// InitReport and the kReport* kinds: the status channel's record (sync_protocol.h).

struct SpawnResult {
  int pid = -1;
  // For a created container (not `exec`): the write end of the pipe on which
  // the caller confirms, with one byte, that it has recorded the init's pid.
  // Until then the init dies with its creator; closing it unwritten kills it.
  int recorded_fd = -1;
  bool failed = false;
  InitReport report {};
};

// Writes content to /proc/<pid>/<name> (id maps, oom_score_adj) in one write.
bool WriteProcFile(int pid, const char* name, const std::string& content);

// Clones the init and drives it to the point where it waits for `start`.
// Everything it needs is in `plan`; nothing is allocated after the clone.
// With plan.pause_before_pivot, on_pause(pid) runs while the init waits
// before pivot_root; if it throws, the init is killed and the exception
// passes on. A seccomp listener fd the init loaded is given to
// on_seccomp_listener(pid, fd) as soon as it arrives (the fd is closed after);
// if it throws, the same.
// The stage's side (native/stage_main.cc): joins the pid namespace of
// `exec`, clones the init as a sibling (CLONE_PARENT: ocirt's child) with
// the plan's new namespaces, reports its pid (kReportForked) on status_fd
// and returns; the init runs the plan with the channels' fds it inherited.
void CloneStagedInit(InitPlan& plan, int console_socket_fd, int status_fd, int sync_fd, int listen_fd, int recorded_fd);

SpawnResult SpawnInit(InitPlan& plan, const std::function<void(int)>& on_pause,
                      const std::function<void(int, int)>& on_seccomp_listener = {});

}  // namespace ocirt
