// Steps shared by the init and the hooks (see child_steps.h). Child code:
// scripts/check-child-symbols.sh checks that this object calls no allocator.
#include "child_steps.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys.h"

namespace ocirt {

int JoinNamespaces(const NamespaceJoin* joins, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (setns(joins[i].fd, joins[i].type) != 0) return static_cast<int>(i);
    close(joins[i].fd);
  }
  return -1;
}

bool RedirectHookStdio(int stdin_fd, int output_fd) {
  return dup2(stdin_fd, 0) >= 0 && dup2(output_fd, 1) >= 0 && dup2(output_fd, 2) >= 0;
}

void ExecHookProgram(const char* path, char* const* argv, char* const* envp) {
  UnblockAllSignals();
  execve(path, argv, envp);
  const char* reason = strerrordesc_np(errno);
  static const char kPrefix[] = "ocirt: exec hook: ";
  ssize_t ignored = write(2, kPrefix, sizeof(kPrefix) - 1);
  ignored = write(2, reason, strlen(reason));
  ignored = write(2, "\n", 1);
  (void)ignored;
  _exit(127);
}

}  // namespace ocirt
