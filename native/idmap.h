// Id-mapped mounts (config.md mount options idmap / ridmap): made by the
// runtime, before clone, as detached mounts the init then moves into place.
#pragma once

#include <string>

namespace ocirt {

// A detached clone of `source` (with_submounts: rbind) with MOUNT_ATTR_IDMAP
// set (map_submounts: on the submounts too, ridmap) to a user namespace: the
// one at `userns_path` if not empty, else a new one with these uid_map /
// gid_map contents. Returns the mount fd (close-on-exec), or -1 with errno.
int OpenIdmappedTree(const std::string& source, bool with_submounts, bool map_submounts, const std::string& userns_path,
                     const std::string& uid_map, const std::string& gid_map);

}  // namespace ocirt
