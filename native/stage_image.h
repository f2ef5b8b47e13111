// The stage executable (dist/ocirt-stage, beside ocirt.node) as a sealed memfd.
#pragma once

namespace ocirt {

// A close-on-exec memfd holding a copy of ocirt-stage, sealed against every
// change (F_SEAL_SEAL|SHRINK|GROW|WRITE); -1 with errno if there is none.
int OpenSealedStage();

}  // namespace ocirt
