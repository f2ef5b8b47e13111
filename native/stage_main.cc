// ocirt-stage: what ocirt's child becomes right after clone3, before any
// namespace of a container (see native/stage_image.cc). ocirt passes the plan
// as bytes in a memfd whose number is argv[1]; the channels to ocirt keep
// their numbers. This is a fresh single-threaded process: it may allocate
// while it decodes the plan. It then clones the init, which runs the plan
// exactly as ocirt's cloned child did before, and exits.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "init.h"
#include "plan_wire.h"

namespace {

constexpr off_t kPlanLimit = 64 << 20;

// The step of kPhaseStage a plan that does not decode reports; steps 0-4 are
// the parent's (native/parent.cc, exec_stage.cc), named in src/linux/failure.ts STEP_TEXT.
constexpr int32_t kStageStepDecode = 5;

// A failure record on the status channel, as the init sends it.
[[noreturn]] void Fail(int status_fd, int32_t step, int err) { ocirt::ReportFailureAndExit(status_fd, ocirt::kPhaseStage, step, err); }

void CloseOnExec(int fd) {
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace

int main(int argc, char** argv) {
  int plan_fd = -1;
  if (argc == 2 && argv[1][0] != '\0' && strspn(argv[1], "0123456789") == strlen(argv[1]) && strlen(argv[1]) < 10)
    plan_fd = atoi(argv[1]);
  struct stat st {};
  if (plan_fd < 0 || fstat(plan_fd, &st) != 0 || st.st_size > kPlanLimit) {
    static const char kUsage[] = "ocirt-stage: only ocirt runs this, with a plan\n";
    ssize_t ignored = write(2, kUsage, sizeof(kUsage) - 1);
    (void)ignored;
    return 2;
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = pread(plan_fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(plan_fd);

  static ocirt::InitPlan plan;
  ocirt::StageFds fds;
  if (got != bytes.size() || !ocirt::DecodePlan(bytes.data(), bytes.size(), &plan, &fds)) Fail(fds.status_fd, kStageStepDecode, EINVAL);
  // Nothing inherited from ocirt may reach the program: the channels are
  // close-on-exec again (EOF on the status channel still means "exec'd").
  for (int fd : {fds.console_socket_fd, fds.status_fd, fds.sync_fd, fds.listen_fd, fds.recorded_fd, plan.join_pid_fd, plan.runtime_mnt_ns_fd}) CloseOnExec(fd);
  for (const auto& j : plan.joins) CloseOnExec(j.fd);
  for (const auto& s : plan.mount_steps) CloseOnExec(s.tree_fd);
  for (const auto& s : plan.process.args) plan.process.argv.push_back(s.c_str());
  plan.process.argv.push_back(nullptr);
  for (const auto& s : plan.process.env) plan.process.envp.push_back(s.c_str());
  plan.process.envp.push_back(nullptr);
  for (auto& hook : plan.start_container_hooks) {
    for (const auto& s : hook.args) hook.argv.push_back(s.c_str());
    hook.argv.push_back(nullptr);
    for (const auto& s : hook.env) hook.envp.push_back(s.c_str());
    hook.envp.push_back(nullptr);
  }
  ocirt::CloneStagedInit(plan, fds.console_socket_fd, fds.status_fd, fds.sync_fd, fds.listen_fd, fds.recorded_fd);
  return 0;
}
