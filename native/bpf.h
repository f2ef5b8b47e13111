// The cgroup v2 device controller's syscalls: load a BPF_PROG_TYPE_CGROUP_DEVICE
// program and make it the one device filter of a cgroup.
#pragma once

#include <napi.h>

namespace ocirt {

// attachDeviceFilter(cgroupDir: string, program: Buffer (struct bpf_insn[])): void
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo& info);

}  // namespace ocirt
