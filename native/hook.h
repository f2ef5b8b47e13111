// Hooks: runs one hook process, in the runtime's or a container's namespaces.
#pragma once

#include <napi.h>

namespace ocirt {

// runHook({path, args, env, stdin, timeoutMs, namespaces, cwd}) → {status, signal, timedOut, output}
Napi::Value RunHook(const Napi::CallbackInfo& info);

}  // namespace ocirt
