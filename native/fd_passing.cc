// fd passing with SCM_RIGHTS (declared in unix_socket.h), apart from the
// socket helpers there because the init child uses it: child code, no
// allocator (scripts/check-child-symbols.sh).
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "unix_socket.h"

namespace ocirt {
namespace {

// One buffer and room for one fd's control message.
struct FdMessage {
  struct iovec iov {};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  FdMessage(void* data, size_t len) {
    iov.iov_base = data;
    iov.iov_len = len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
  }
};

}  // namespace

long SendWithFd(int sock, int fd, const void* data, size_t len) {
  FdMessage m(const_cast<void*>(data), len);
  struct msghdr& msg = m.msg;
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  ssize_t sent;
  do { sent = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
  return sent;
}

long ReceiveWithFd(int sock, void* data, size_t len, int* fd) {
  *fd = -1;
  FdMessage m(data, len);
  struct msghdr& msg = m.msg;
  ssize_t n;
  do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
  if (n < 0) return n;
  for (struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS && cmsg->cmsg_len >= CMSG_LEN(sizeof(int))) {
      memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
    }
  }
  return n;
}

}  // namespace ocirt
