// --preserve-fds: whether the caller really passed the fds it names.
#pragma once

#include <napi.h>

namespace ocirt {

// preservedFdProblem(fd) → 0 (inherited), errno (not open) or -1 (ocirt's own).
Napi::Value PreservedFdProblem(const Napi::CallbackInfo& info);

}  // namespace ocirt
