// The parent <-> child protocol's helpers (see sync_protocol.h). Child code:
// scripts/check-child-symbols.sh checks that this object calls no allocator.
#include "sync_protocol.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ocirt {

bool SendReport(int status_fd, int32_t kind, int32_t step) {
  InitReport report {};
  report.kind = kind;
  report.step = step;
  return write(status_fd, &report, sizeof(report)) == static_cast<ssize_t>(sizeof(report));
}

void ReportFailureAndExit(int status_fd, int32_t phase, int32_t step, int err, const char* message) {
  InitReport report {};
  report.kind = kReportFailure;
  report.phase = phase;
  report.step = step;
  report.err = err;
  if (message != nullptr) {
    size_t n = strlen(message);
    if (n >= sizeof(report.message)) n = sizeof(report.message) - 1;
    memcpy(report.message, message, n);
  }
  if (status_fd >= 0) {
    ssize_t ignored = write(status_fd, &report, sizeof(report));
    (void)ignored;
  }
  _exit(1);
}

bool WaitForByte(int fd) {
  char byte = 0;
  ssize_t n;
  do { n = read(fd, &byte, 1); } while (n < 0 && errno == EINTR);
  return n == 1;
}

bool SendGo(int sync_fd) {
  char go = 1;
  return write(sync_fd, &go, 1) == 1;
}

size_t ReadFull(int fd, void* data, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, static_cast<char*>(data) + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

}  // namespace ocirt
