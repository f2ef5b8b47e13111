// Drives a running hook: feeds its stdin, collects its output, and kills it
// at its deadline. Shared by the runtime's hooks (native/hook.cc) and the
// startContainer hooks the init runs (native/start_hooks.cc).
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace ocirt {

int64_t MonotonicMs();

// Until the process behind pidfd exits and its output is drained: writes the
// input parts to stdin_fd (a hook may exit without reading them: EPIPE just
// ends the feeding), hands what output_fd yields to on_output, and sends
// SIGKILL at deadline_ms (MonotonicMs; -1: none). Closes stdin_fd and
// output_fd. Returns whether the deadline killed it. No allocation.
bool PumpHook(int pidfd, int stdin_fd, int output_fd, const struct iovec* input, int input_parts, int64_t deadline_ms,
              void (*on_output)(void* context, const char* bytes, size_t n), void* context);

}  // namespace ocirt
