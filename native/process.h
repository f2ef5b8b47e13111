// Process and fd syscalls exposed to TypeScript (see NativeAddon in src/native.ts).
#pragma once

#include <napi.h>

#include "napi_error.h"

namespace ocirt {

Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info);
Napi::Value WaitPid(const Napi::CallbackInfo& info);
Napi::Value WaitPidAsync(const Napi::CallbackInfo& info);
Napi::Value Flock(const Napi::CallbackInfo& info);
Napi::Value PidfdOpen(const Napi::CallbackInfo& info);
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info);
Napi::Value PidfdWait(const Napi::CallbackInfo& info);
Napi::Value ReleaseInit(const Napi::CallbackInfo& info);
Napi::Value SendSeccompListener(const Napi::CallbackInfo& info);
Napi::Value ReadFileInRoot(const Napi::CallbackInfo& info);
Napi::Value ListenUnix(const Napi::CallbackInfo& info);
Napi::Value ReceiveFd(const Napi::CallbackInfo& info);
Napi::Value StrError(const Napi::CallbackInfo& info);

}  // namespace ocirt
