// Converts the InitPlan object built in TypeScript (src/native.ts) into the
// C++ InitPlan, so that every string the child reads is allocated before clone.
#pragma once

#include <napi.h>

#include "init.h"

namespace ocirt {

InitPlan PlanFromJs(const Napi::Object& js);

}  // namespace ocirt
