// The child of a runtime hook (see hook_child.h). Child code: no allocator.
#include "hook_child.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "child_steps.h"
#include "sys.h"

namespace ocirt {

void HookChild(const NamespaceJoin* namespaces, size_t count, int stdin_fd, int output_fd, const char* path,
               char* const* argv, char* const* envp, const char* cwd) {
  ResetSignalDispositions();
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (!RedirectHookStdio(stdin_fd, output_fd)) _exit(126);
  if (JoinNamespaces(namespaces, count) >= 0) {
    static const char kMsg[] = "ocirt: joining the container's namespaces failed\n";
    ssize_t ignored = write(2, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    _exit(126);
  }
  bool joined_pid = false;
  for (size_t i = 0; i < count; i++) joined_pid |= namespaces[i].type == CLONE_NEWPID;
  CloseRange(3u, ~0u);
  if (joined_pid) {
    // setns on a pid namespace applies to children: fork once more so that
    // the hook runs inside it, and pass its status on.
    long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child < 0) _exit(126);
    if (child > 0) {
      int status = 0;
      while (waitpid(static_cast<pid_t>(child), &status, 0) < 0 && errno == EINTR) {}
      if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
      _exit(WEXITSTATUS(status));
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  }
  if (cwd[0] != '\0') {
    if (chdir(cwd) != 0) {
      static const char kMsg[] = "ocirt: cannot enter the hook's working directory\n";
      ssize_t ignored = write(2, kMsg, sizeof(kMsg) - 1);
      (void)ignored;
      _exit(126);
    }
  } else if (count != 0 && chdir("/") != 0) {
    _exit(126);
  }
  ExecHookProgram(path, argv, envp);
}

}  // namespace ocirt
