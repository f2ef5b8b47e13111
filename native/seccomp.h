// Seccomp: compiles a filter with libseccomp, in the parent. The init loads
// the resulting BPF program with seccomp(2) (native/exec.cc).
#pragma once

#include <napi.h>

namespace ocirt {

// compileSeccomp({defaultAction, architectures, rules: [{syscall, action, args: [{index, op, value, valueTwo}]}]})
//   → {filter: Buffer (struct sock_filter[]), unknownSyscalls: string[]}
Napi::Value CompileSeccomp(const Napi::CallbackInfo& info);

// seccompSupported("action", SECCOMP_RET_*) / ("flag", SECCOMP_FILTER_FLAG_*)
//   → whether this kernel has it (for `features`).
Napi::Value SeccompSupported(const Napi::CallbackInfo& info);

}  // namespace ocirt
