// Steps every child ocirt clones shares: the init (native/child.cc, and its
// startContainer hooks in start_hooks.cc) and the runtime's hooks
// (native/hook_child.cc). Child code: no allocator, no exceptions.
#pragma once

#include <cstddef>

#include "init.h"

namespace ocirt {

// setns into each of `joins` in order (user first: it owns the others; the
// order is the plan's), closing each fd after. Returns -1, or the index of
// the join that failed with errno set.
int JoinNamespaces(const NamespaceJoin* joins, size_t count);

// Stdin from stdin_fd, stdout and stderr to output_fd: a hook's stdio.
// False with errno if a dup2 failed.
bool RedirectHookStdio(int stdin_fd, int output_fd);

// Unblocks every signal and execs a hook; if that fails, says why on stderr
// ("ocirt: exec hook: <reason>") and exits 127.
[[noreturn]] void ExecHookProgram(const char* path, char* const* argv, char* const* envp);

}  // namespace ocirt
