// The parent <-> child protocol: what ocirt (the parent, native/parent.cc),
// the stage (native/stage_main.cc) and the init (native/child.cc) say to each
// other while a container is created or a process exec'd, over which fd, in
// which order. Both sides use the helpers below, so the record format and
// the byte counts live in one place (runc's libcontainer/sync.go is the model).
//
// The channels (their numbers pass through the stage unchanged, see StageFds):
//   status    socketpair; the init writes InitReport records, the parent reads
//             them. The parent also sends fds on it (SCM_RIGHTS). EOF without
//             a record means the init exec'd (`exec`) or died.
//   sync      pipe, parent -> init: one byte "go" per wait of the init.
//   recorded  pipe, parent's caller -> init (create only): one byte once the
//             init's pid is in state.json (see WaitForStartThenExec).
//   exec.sock listening socket in the state dir; `start` connects to it
//             (create only). Failure text, or the seccomp listener fd with
//             one NUL byte, goes back on that connection.
//   console   the console socket (process.terminal): the pty master, sent
//             with SCM_RIGHTS and the bytes "/dev/ptmx", as runc sends it.
//
//   parent (ocirt)                 stage (ocirt-stage)           init
//   --------------                 -------------------           ----
//   clone3 ----------------------> execveat(sealed stage)
//                                  decode plan, clone3 --------> (born with the
//                                  (CLONE_PARENT, namespaces)     new namespaces)
//            <-- status: kReportForked, step = the init's pid
//                                  exit
//   affinity, cgroup.procs, setgroups, uid_map, gid_map, oom_score_adj
//   [new userns + mountns] status: one byte + fd per kDetachedBind ----->
//   sync: "go" --------------------------------------------------------> wait
//                                                    setns, unshare, ...
//            <-- [fork_after_unshare] status: kReportForked, step = the
//                process's pid; the first process exits
//                                                    rootfs, mount steps
//            <-- [pause_before_pivot] status: kReportPaused
//   prestart, createRuntime, createContainer hooks
//   sync: "go" --------------------------------------------------------> wait
//                                                    pivot_root, console, ...
//            <-- [seccomp with a listener, before no_new_privs]
//                status: kReportSeccompListener + the listener fd
//            <-- create: status: kReportReady; exec: EOF at execve
//   recorded: one byte (create) -----------------------------------------> wait
//                                                    accept on exec.sock
//   (`start` connects; the init execs the program)
//
// At any point the init (or the stage) may send kReportFailure instead and
// exit: the parent kills and reaps what is left and turns the (phase, step)
// into a message naming the JSON path (src/linux/failure.ts).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ocirt {

// What the child reports on the status channel. A failure carries where and
// why; `message` holds extra text (e.g. the program name for an exec lookup).
struct InitReport {
  int32_t kind;  // kReportReady or kReportFailure
  int32_t phase;
  int32_t step;
  int32_t err;
  char message[512];
};
constexpr int32_t kReportReady = 1;
constexpr int32_t kReportFailure = 2;
constexpr int32_t kReportPaused = 3;
// The first process forked the container's process: its pid is in `step`.
constexpr int32_t kReportForked = 4;
// The seccomp listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER) comes with this record (SCM_RIGHTS).
constexpr int32_t kReportSeccompListener = 5;

// ---- the child's side (no allocation) ----

// Sends a record of `kind` with `step` (a pid for kReportForked) on the
// status channel; true if all of it was written.
bool SendReport(int status_fd, int32_t kind, int32_t step = 0);

// Sends a failure record (message truncated to fit) and exits with status 1.
[[noreturn]] void ReportFailureAndExit(int status_fd, int32_t phase, int32_t step, int err, const char* message = nullptr);

// Waits for one byte ("go", "recorded") on a pipe; false on EOF or error.
bool WaitForByte(int fd);

// ---- the parent's side ----

// Writes one "go" byte; false with errno if it could not.
bool SendGo(int sync_fd);

// Reads up to `len` bytes, retrying short reads and EINTR, until EOF;
// returns how many arrived.
size_t ReadFull(int fd, void* data, size_t len);

}  // namespace ocirt
