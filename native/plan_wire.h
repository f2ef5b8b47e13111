// The InitPlan as bytes, for the stage (native/stage_main.cc): the parent
// encodes the plan it marshalled from JS into a memfd before clone3, and the
// stage, a fresh single-threaded process after execveat, decodes it back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "init.h"

namespace ocirt {

// The ends of the init's channels, which keep their numbers across execveat.
struct StageFds {
  int32_t console_socket_fd = -1, status_fd = -1, sync_fd = -1, listen_fd = -1, recorded_fd = -1;
};

std::string EncodePlan(const InitPlan& plan, const StageFds& fds);

// False when the bytes are not a whole plan. argv/envp are rebuilt by the caller.
bool DecodePlan(const char* data, size_t size, InitPlan* plan, StageFds* fds);

}  // namespace ocirt
