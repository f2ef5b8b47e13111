// Unix stream sockets by path, for the parent side only (it uses snprintf).
#pragma once

namespace ocirt {

// A socket bound and listening (listen_mode) or connected at dir/name. The
// address goes through /proc/self/fd/<dirfd>/name, so that a long directory
// (a deep --root, containerd's state paths) never overflows sun_path.
// Returns the fd (close-on-exec), or -1 with errno.
int UnixSocketAt(const char* dir, const char* name, bool listen_mode);

// The same for a whole path: split into its directory and last component.
int UnixSocketAtPath(const char* path, bool listen_mode);

}  // namespace ocirt
