// The other end of --console-socket, as containerd's shim and conmon make it:
// listens on a unix socket, receives one fd with SCM_RIGHTS (the pty master),
// then copies what the container writes to the terminal to stdout until the
// container side closes (EIO).
//
// usage: console-receiver SOCKET
// stdout: "listening\n", "received <name>\n", then the terminal's output.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: console-receiver SOCKET\n"); return 2; }
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strncpy(addr.sun_path, argv[1], sizeof(addr.sun_path) - 1);
  if (listener < 0 || bind(listener, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(listener, 1) != 0) { perror("listen"); return 1; }
  printf("listening\n");
  fflush(stdout);
  int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0) { perror("accept"); return 1; }
  char name[256] = {0};
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { name, sizeof(name) - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
  if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0) { perror("recvmsg"); return 1; }
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS) { fprintf(stderr, "no fd received\n"); return 1; }
  int master;
  memcpy(&master, CMSG_DATA(cmsg), sizeof(int));
  printf("received %s\n", name);
  fflush(stdout);
  char buf[4096];
  for (;;) {
    ssize_t n = read(master, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EIO: every container-side fd of the pty is closed
    if (write(1, buf, (size_t)n) != n) return 1;
  }
  return 0;
}
