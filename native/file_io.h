// The file syscalls behind src/linux/io.ts, the hot commands' stand-in for
// node:fs (issue 11: the first use of bun's node:fs costs 2.6 M instructions
// of start-up, loading this addon 0.44 M). Syscalls only: each returns what
// the kernel returned, or -errno; io.ts turns -errno into node's error.
#pragma once

#include <napi.h>

namespace ocirt {

Napi::Value FileOpen(const Napi::CallbackInfo& info);
Napi::Value FileClose(const Napi::CallbackInfo& info);
Napi::Value FileReadAll(const Napi::CallbackInfo& info);
Napi::Value FileWrite(const Napi::CallbackInfo& info);
Napi::Value FileStat(const Napi::CallbackInfo& info);
Napi::Value FileReaddir(const Napi::CallbackInfo& info);
Napi::Value FileMkdir(const Napi::CallbackInfo& info);
Napi::Value FileRmdir(const Napi::CallbackInfo& info);
Napi::Value FileUnlink(const Napi::CallbackInfo& info);
Napi::Value FileRename(const Napi::CallbackInfo& info);
Napi::Value FileReadlink(const Napi::CallbackInfo& info);
Napi::Value FileAccess(const Napi::CallbackInfo& info);
Napi::Value FileRead(const Napi::CallbackInfo& info);
Napi::Value FileRealpath(const Napi::CallbackInfo& info);

}  // namespace ocirt
