// The child of a runtime hook (native/hook.cc), in its own object so that
// scripts/check-child-symbols.sh can check it calls no allocator: it runs
// right after clone3 in a copy of the multi-threaded JS runtime.
#pragma once

#include <cstddef>

#include "init.h"

namespace ocirt {

// Joins `namespaces` (fds opened by the parent, in its order), takes its
// stdio from stdin_fd / output_fd, enters cwd (or "/" after a join) and
// execs path. Reports a failure on stderr and exits 126 (setup) or 127 (exec).
[[noreturn]] void HookChild(const NamespaceJoin* namespaces, size_t count, int stdin_fd, int output_fd, const char* path,
                            char* const* argv, char* const* envp, const char* cwd);

}  // namespace ocirt
