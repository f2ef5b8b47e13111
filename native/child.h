// The init's side of the plan (the child), split by step: native/child.cc
// runs the sequence; the steps live in rootfs.cc, console.cc, identity.cc,
// exec.cc and start_hooks.cc; exec_stage.cc is what ocirt's own cloned child
// runs. All of it runs after clone in a copy of a process that may have had
// other threads: raw syscalls, the stack and the plan only (allocated before
// the clone), never the allocator; scripts/check-child-symbols.sh checks the
// objects for it. A step that fails reports its (phase, step) record on the
// status channel (sync_protocol.h) and exits.
#pragma once

#include <climits>

#include "init.h"
#include "sync_protocol.h"

namespace ocirt {

struct Child {
  InitPlan* plan;
  int console_socket_fd;
  int status_fd;
  int sync_fd;
  int listen_fd;
  // Read end of the "recorded" pipe (-1 for exec), and the parent's write end.
  int recorded_fd;
  int parent_recorded_fd;
  // The parent's ends of the two pipes, closed at once in the child.
  int parent_status_fd;
  int parent_sync_fd;
  char exec_path[PATH_MAX];
};

// Reports the failure of (phase, step) to the parent and exits. The phases
// are enum Phase in init.h; src/linux/failure.ts names every step reported.
[[noreturn]] inline void Fail(Child& c, int32_t phase, int32_t step, int err, const char* message = nullptr) {
  ReportFailureAndExit(c.status_fd, phase, step, err, message);
}

// The parent opens bind sources for the init (kDetachedBind) where the init is
// born in a new user namespace with a new mount namespace: one it joins or
// unshares later would not hold the mounts the parent's fds point to, and
// the init then binds by path.
inline bool SourcesFromParent(const InitPlan& plan) {
  return (plan.clone_flags & CLONE_NEWUSER) != 0 && (plan.clone_flags & CLONE_NEWNS) != 0;
}

// ---- child.cc ----
[[noreturn]] void ChildMain(Child& c);

// ---- rootfs.cc ----
// Root propagation, the rootfs bind mount, the mount steps, (the create
// hooks,) pivot_root, sysctls and the steps after it.
void SetUpRootfs(Child& c);
// A config without a mount namespace: back into the runtime's (see there).
void ReturnToRuntimeMountNamespace(Child& c);
// mkdir -p inside the root (see rootfs.cc); an O_PATH fd of the result.
int MkdirAllInRoot(int rootfd, const char* path, int32_t last);
// openat2 with every lookup kept inside the root.
int OpenInRoot(int rootfd, const char* path, uint64_t flags);

// ---- console.cc ----
void SetUpConsole(Child& c, int rootfd);

// ---- identity.cc ----
void ApplyProcessAttributes(Child& c);
void ApplyIdentity(Child& c);

// ---- exec.cc ----
void LookUpExecutable(Child& c);
int LoadSeccomp(const InitPlan& plan, int channel, bool report);
[[noreturn]] void ExecUserProgram(Child& c, int conn, bool structured_report);
[[noreturn]] void WaitForStartThenExec(Child& c);

// ---- start_hooks.cc ----
int RunStartContainerHooks(Child& c, int conn);

// ---- exec_stage.cc (linked into ocirt.node) ----
[[noreturn]] void ExecStage(Child& c, int stage_fd, int plan_fd);

}  // namespace ocirt
