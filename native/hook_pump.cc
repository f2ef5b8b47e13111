#include "hook_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace ocirt {

int64_t MonotonicMs() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool PumpHook(int pidfd, int stdin_fd, int output_fd, const struct iovec* input, int input_parts, int64_t deadline_ms,
              void (*on_output)(void* context, const char* bytes, size_t n), void* context) {
  fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
  fcntl(output_fd, F_SETFL, O_NONBLOCK);
  int part = 0;
  size_t written = 0;
  while (part < input_parts && input[part].iov_len == 0) part++;
  if (part == input_parts) {
    close(stdin_fd);
    stdin_fd = -1;
  }
  bool exited = false, timed_out = false;
  while (!exited || output_fd >= 0) {
    struct pollfd fds[3];
    int n = 0;
    int i_pid = -1, i_in = -1, i_out = -1;
    if (!exited) {
      fds[n] = {pidfd, POLLIN, 0};
      i_pid = n++;
    }
    if (stdin_fd >= 0 && !exited) {
      fds[n] = {stdin_fd, POLLOUT, 0};
      i_in = n++;
    }
    if (output_fd >= 0) {
      fds[n] = {output_fd, POLLIN, 0};
      i_out = n++;
    }
    int wait = -1;
    if (exited) {
      wait = 0;  // only draining what is already there
    } else if (deadline_ms >= 0) {
      int64_t left = deadline_ms - MonotonicMs();
      if (left <= 0) {
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
        timed_out = true;
        left = 0;
      }
      wait = static_cast<int>(left);
    }
    int rc = poll(fds, static_cast<nfds_t>(n), wait);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0 && exited) break;
    if (i_in >= 0 && (fds[i_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const char* base = static_cast<const char*>(input[part].iov_base);
      ssize_t w = write(stdin_fd, base + written, input[part].iov_len - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (written == input[part].iov_len) {
        written = 0;
        do part++;
        while (part < input_parts && input[part].iov_len == 0);
      }
      if ((w < 0 && errno != EAGAIN) || part == input_parts) {
        close(stdin_fd);
        stdin_fd = -1;
      }
    }
    if (i_out >= 0 && (fds[i_out].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t r = read(output_fd, buf, sizeof(buf));
      if (r > 0) {
        on_output(context, buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EAGAIN) {
        close(output_fd);
        output_fd = -1;
      }
    }
    if (i_pid >= 0 && (fds[i_pid].revents & POLLIN)) exited = true;
  }
  if (stdin_fd >= 0) close(stdin_fd);
  if (output_fd >= 0) close(output_fd);
  return timed_out;
}

}  // namespace ocirt
