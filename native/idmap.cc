#include "idmap.h"
#include "init.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace ocirt {
namespace {

// A user namespace with the given maps, held by an fd: a child is cloned into
// a new one, the maps are written, its ns file opened, and the child let go.
// The child is a copy of this multi-threaded process: it only waits on a pipe
// and exits, with raw syscalls and every signal blocked.
int UserNamespaceWithMaps(const std::string& uid_map, const std::string& gid_map) {
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) != 0) return -1;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) {
    close(hold[1]);
    char byte;
    while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {}
    _exit(0);
  }
  int e = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(hold[0]);
  int ns = -1;
  if (pid > 0) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
    if (WriteProcFile(static_cast<int>(pid), "uid_map", uid_map) && WriteProcFile(static_cast<int>(pid), "gid_map", gid_map)) {
      ns = open(path, O_RDONLY | O_CLOEXEC);
    }
    e = errno;
  }
  close(hold[1]);  // the child's read returns 0: it exits
  if (pid > 0) {
    // Also killed: a fork made meanwhile by another thread could hold the pipe's write end.
    kill(static_cast<pid_t>(pid), SIGKILL);
    while (waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {}
  }
  errno = e;
  return ns;
}

}  // namespace

int OpenIdmappedTree(const std::string& source, bool with_submounts, bool map_submounts, const std::string& userns_path,
                     const std::string& uid_map, const std::string& gid_map) {
  int userns = userns_path.empty() ? UserNamespaceWithMaps(uid_map, gid_map) : open(userns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (userns < 0) return -1;
  int tree = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, source.c_str(),
                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (with_submounts ? AT_RECURSIVE : 0)));
  int rc = -1;
  if (tree >= 0) {
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns);
    rc = static_cast<int>(syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (map_submounts ? AT_RECURSIVE : 0), &attr, sizeof(attr)));
  }
  int e = errno;
  close(userns);
  if (rc != 0 && tree >= 0) {
    close(tree);
    tree = -1;
  }
  errno = e;
  return tree;
}

}  // namespace ocirt
