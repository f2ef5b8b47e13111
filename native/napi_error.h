// The one way an addon export reports a failed syscall to TypeScript: an Error
// whose `errno` and `code` (ENOENT, ...) src/fs-errors.ts and the commands read.
// Shared by every N-API file (process.cc, bpf.cc, seccomp.cc, hook.cc); the
// child code never throws (scripts/check-child-symbols.sh).
#pragma once

#include <napi.h>

namespace ocirt {

Napi::Error ErrnoError(Napi::Env env, const char* what, int err);

}  // namespace ocirt
