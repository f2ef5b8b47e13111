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

}  // namespace ocirt
