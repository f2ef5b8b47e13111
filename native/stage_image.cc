// Every process ocirt puts into a container starts as a copy of the JS
// runtime, whose /proc/PID/exe is dist/ocirt itself. A container process
// that can open that exe (CAP_SYS_PTRACE overrides non-dumpable) could keep
// it open and write to it once ocirt has exited (CVE-2019-5736). So the
// cloned child execs a sealed in-memory copy of the small stage executable
// first: its exe is then a memfd that cannot be changed, and dist/ocirt is
// never reachable from inside. (PR_SET_MM_EXE_FILE would need
// CAP_SYS_RESOURCE, which a runtime cannot count on.)
#include "stage_image.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace ocirt {
namespace {

// memfd_create's MFD_EXEC (Linux 6.3): where vm.memfd_noexec is set, a memfd
// is executable only when asked for; older kernels refuse the flag (EINVAL).
constexpr unsigned kMfdExec = 0x0010U;

// The stage beside the addon that holds this code (dist/ocirt.node → dist/ocirt-stage).
std::string StagePath() {
  Dl_info info {};
  if (dladdr(reinterpret_cast<void*>(&OpenSealedStage), &info) == 0 || info.dli_fname == nullptr) return "";
  std::string addon = info.dli_fname;
  size_t slash = addon.rfind('/');
  return (slash == std::string::npos ? std::string(".") : addon.substr(0, slash)) + "/ocirt-stage";
}

}  // namespace

int OpenSealedStage() {
  std::string path = StagePath();
  if (path.empty()) {
    errno = ENOENT;
    return -1;
  }
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src < 0) return -1;
  struct stat st {};
  int mfd = fstat(src, &st) != 0 ? -1 : memfd_create("ocirt-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("ocirt-stage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  bool ok = mfd >= 0;
  for (off_t left = st.st_size; ok && left > 0;) {
    ssize_t n = sendfile(mfd, src, nullptr, static_cast<size_t>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      ok = false;
      break;
    }
    left -= n;
  }
  // Read and execute for everyone (the mapped root of a user namespace
  // executes it), and nothing can change it from here on.
  ok = ok && fchmod(mfd, 0555) == 0 &&
       fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0;
  int e = errno;
  close(src);
  if (!ok) {
    if (mfd >= 0) close(mfd);
    errno = e;
    return -1;
  }
  return mfd;
}

}  // namespace ocirt
