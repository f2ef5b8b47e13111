// A minimal seccomp agent for the tests of config-linux.md "Seccomp"
// listenerPath: listens on a unix socket, prints each container process
// state it receives (with the number of fds that came with it), then answers
// every notification on the received listener with the errno it was given.
//
// usage: seccomp-agent SOCKET ERRNO
// stdout: "listening", then per connection "state <nfds> <closed> <json>"
//         (closed: 1 if the runtime closed the connection after the JSON), then per
//         notification "notify <syscall nr> <pid>".
#define _GNU_SOURCE
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

// Whether buf holds one whole JSON object (braces balanced outside strings).
static int complete_json(const char* buf, size_t len) {
  int depth = 0, in_string = 0, escaped = 0, seen = 0;
  for (size_t i = 0; i < len; i++) {
    char ch = buf[i];
    if (in_string) {
      if (escaped) escaped = 0;
      else if (ch == '\\') escaped = 1;
      else if (ch == '"') in_string = 0;
    } else if (ch == '"') {
      in_string = 1;
    } else if (ch == '{') {
      depth++;
      seen = 1;
    } else if (ch == '}') {
      depth--;
    }
  }
  return seen && depth == 0;
}

static void answer(int listener, int errno_ret) {
  for (;;) {
    // POLLHUP: every process under the filter is gone.
    struct pollfd p = { listener, POLLIN, 0 };
    if (poll(&p, 1, -1) < 0) { if (errno == EINTR) continue; _exit(1); }
    if ((p.revents & POLLIN) == 0) _exit(0);
    struct seccomp_notif req;
    memset(&req, 0, sizeof(req));  // the kernel insists on a zeroed request
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;  // ENOENT: the caller died meanwhile
      _exit(0);
    }
    printf("notify %d %d\n", req.data.nr, req.pid);
    fflush(stdout);
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof(resp));
    resp.id = req.id;
    resp.error = -errno_ret;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: seccomp-agent SOCKET ERRNO\n"); return 2; }
  int errno_ret = atoi(argv[2]);
  signal(SIGCHLD, SIG_IGN);  // handlers are not waited for
  int ls = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
  if (ls < 0 || bind(ls, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(ls, 8) != 0) { perror("seccomp-agent: listen"); return 1; }
  printf("listening\n");
  fflush(stdout);
  for (;;) {
    int conn = accept(ls, NULL, NULL);
    if (conn < 0) { if (errno == EINTR) continue; perror("seccomp-agent: accept"); return 1; }
    static char buf[1 << 20];
    size_t len = 0;
    int fds[8];
    int nfds = 0;
    char control[CMSG_SPACE(sizeof(fds))];
    struct iovec iov = { buf, sizeof(buf) - 1 };
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n > 0) len = (size_t)n;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds, CMSG_DATA(c), (size_t)nfds * sizeof(int));
      }
    }
    // The rest of the JSON: until the object is complete (a runtime that
    // keeps the connection open must not hang us), then see if EOF follows.
    while (n > 0 && !complete_json(buf, len) && len < sizeof(buf) - 1) {
      n = read(conn, buf + len, sizeof(buf) - 1 - len);
      if (n > 0) len += (size_t)n;
    }
    buf[len] = '\0';
    struct pollfd eof = { conn, POLLIN, 0 };
    char extra;
    int closed = poll(&eof, 1, 2000) == 1 && read(conn, &extra, 1) == 0;
    close(conn);
    printf("state %d %d %s\n", nfds, closed, buf);
    fflush(stdout);
    if (nfds > 0 && fork() == 0) {
      close(ls);
      answer(fds[0], errno_ret);
    }
    for (int i = 0; i < nfds; i++) close(fds[i]);
  }
}
