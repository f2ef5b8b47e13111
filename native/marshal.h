// Converts the InitPlan object built in TypeScript (src/native.ts) into the
// C++ InitPlan, so that every string the child reads is allocated before clone.
#pragma once

#include <napi.h>

#include "init.h"

namespace ocirt {

// Throws, naming the struct and key, on a key this side does not read or a
// required key that is absent.
InitPlan PlanFromJs(const Napi::Object& js);

// checkPlanWire(plan) for test/unit/wire.test.ts.
Napi::Value CheckPlanWire(const Napi::CallbackInfo& info);

}  // namespace ocirt
