// process.terminal for the init (native/child.h). Child code: no allocator.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "child.h"
#include "sys.h"
#include "unix_socket.h"

namespace ocirt {

// process.terminal: a new pty of the container's devpts. Its peer becomes
// stdin, stdout, stderr and the controlling terminal, and is bind-mounted on
// /dev/console (config-linux.md "Default Devices"); the master goes to the
// console socket with SCM_RIGHTS, as runc sends it.
void SetUpConsole(Child& c, int rootfd) {
  const InitPlan& plan = *c.plan;
  int master = OpenInRoot(rootfd, "/dev/ptmx", O_RDWR | O_NOCTTY);
  if (master < 0) Fail(c, kPhaseConsole, 0, errno);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) Fail(c, kPhaseConsole, 1, errno);
  unsigned int index = 0;
  if (ioctl(master, TIOCGPTN, &index) != 0) Fail(c, kPhaseConsole, 2, errno);
  // The peer through the master, never by a path the container could swap.
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) Fail(c, kPhaseConsole, 3, errno);
  if (plan.console_rows != 0 || plan.console_cols != 0) {
    struct winsize ws {};
    ws.ws_row = plan.console_rows;
    ws.ws_col = plan.console_cols;
    if (ioctl(master, TIOCSWINSZ, &ws) != 0) Fail(c, kPhaseConsole, 4, errno);
  }
  if (!plan.join_only) {
    char slave_path[32], console_path[32];
    int console = MkdirAllInRoot(rootfd, "/dev/console", kCreateFile);
    if (console < 0 || mount(FdPath(slave, slave_path), FdPath(console, console_path), nullptr, MS_BIND, nullptr) != 0)
      Fail(c, kPhaseConsole, 5, errno);
    close(console);
  }
  if (fchown(slave, plan.process.uid, static_cast<gid_t>(-1)) != 0) Fail(c, kPhaseConsole, 6, errno);

  static const char kName[] = "/dev/ptmx";
  if (SendWithFd(c.console_socket_fd, master, kName, sizeof(kName) - 1) < 0) Fail(c, kPhaseConsoleSocket, 1, errno);
  close(master);
  close(c.console_socket_fd);

  // Already a session leader without a controlling terminal (see ChildMain).
  if (ioctl(slave, TIOCSCTTY, 0) != 0) Fail(c, kPhaseConsole, 8, errno);
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0) Fail(c, kPhaseConsole, 9, errno);
  close(slave);
}

}  // namespace ocirt
