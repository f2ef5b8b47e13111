#include "unix_socket.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

namespace ocirt {

int UnixSocketAt(const char* dir, const char* name, bool listen_mode) {
  int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -1;
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd, name);
  if (n < 0 || static_cast<size_t>(n) >= sizeof(addr.sun_path)) {
    close(dirfd);
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = -1;
  if (fd >= 0) {
    if (listen_mode) {
      rc = bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
      // bind() gave the socket 0777 & ~umask; whoever can connect to exec.sock starts the
      // container, so only its owner may, whatever the caller's umask.
      if (rc == 0) rc = fchmodat(dirfd, name, 0600, 0);
      if (rc == 0) rc = listen(fd, 1);
    } else {
      rc = connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
    }
  }
  int e = errno;
  close(dirfd);
  if (rc != 0) {
    if (fd >= 0) close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int UnixSocketAtPath(const char* path, bool listen_mode) {
  std::string p(path);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t slash = p.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/"
                                                                  : p.substr(0, slash);
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (name.empty()) {
    errno = EINVAL;
    return -1;
  }
  return UnixSocketAt(dir.c_str(), name.c_str(), listen_mode);
}

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
