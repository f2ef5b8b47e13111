// Unix stream sockets by path, for the parent side only (it uses snprintf),
// and fd passing with SCM_RIGHTS (native/fd_passing.cc, child code: safe in the init).
#pragma once

#include <cstddef>

namespace ocirt {

// A socket bound and listening (listen_mode) or connected at dir/name. The
// address goes through /proc/self/fd/<dirfd>/name, so that a long directory
// (a deep --root, containerd's state paths) never overflows sun_path.
// Returns the fd (close-on-exec), or -1 with errno.
int UnixSocketAt(const char* dir, const char* name, bool listen_mode);

// The same for a whole path: split into its directory and last component.
int UnixSocketAtPath(const char* path, bool listen_mode);

// sendmsg of `len` bytes of `data` carrying `fd` with SCM_RIGHTS (the fd is
// attached to the first byte). No allocation: usable in the init child.
// Returns the bytes sent, or -1 with errno.
long SendWithFd(int sock, int fd, const void* data, size_t len);

// recvmsg of up to `len` bytes; an fd that came with them (SCM_RIGHTS) is
// stored in *fd (close-on-exec), else *fd is -1. Returns what recvmsg returns.
long ReceiveWithFd(int sock, void* data, size_t len, int* fd);

}  // namespace ocirt
