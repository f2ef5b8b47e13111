/**
 * The facts about the caller that decide ocirt's rootless behaviour, read
 * once and used everywhere (the --root and --rootless defaults, the plan,
 * exec, cgroups), with runc 1.1.5's rules (rootless_linux.go,
 * libcontainer/userns/userns_linux.go).
 *
 * Engines run rootless by calling the runtime inside their own user
 * namespace (podman, buildah: newuidmap maps the user's uid to 0 and its
 * /etc/subuid range after it): the runtime's euid is 0 there, yet it has no
 * privilege over the host's cgroups, cannot mknod, and cannot write /run.
 */
import { readFileSync } from './io.js'

export interface HostFacts {
  /** The effective uid in ocirt's own user namespace. */
  euid: number
  /**
   * ocirt runs in a user namespace other than the initial one: the first
   * line of /proc/self/uid_map is not the full identity map "0 0 4294967295"
   * (runc's userns.RunningInUserNS).
   */
  inUserNamespace: boolean
  /**
   * /proc/self/setgroups says "deny": ocirt's user namespace (unshare -r,
   * or any whose gid map was written without CAP_SETGID) refuses
   * setgroups(2) to everyone in it, so a container that stays in it can set
   * no additional groups (runc then skips setgroups).
   */
  setgroupsDenied: boolean
}

/** runc's test of /proc/self/uid_map: only the initial user namespace maps all 2^32-1 uids from 0 to 0. */
export function isInitialUidMap (uidMapText: string): boolean {
  const [firstLine = ''] = uidMapText.split('\n')
  const first = firstLine.trim().split(/\s+/).map(Number)
  return first[0] === 0 && first[1] === 0 && first[2] === 4294967295
}

function readInUserNamespace (): boolean {
  let text: string
  try {
    text = readFileSync('/proc/self/uid_map', 'utf8')
  } catch {
    // No uid_map: the kernel has no user namespaces, so this is the initial one.
    return false
  }
  return !isInitialUidMap(text)
}

function readSetgroupsDenied (): boolean {
  try {
    return readFileSync('/proc/self/setgroups', 'utf8').trim() === 'deny'
  } catch {
    return false
  }
}

let cached: HostFacts | undefined

export function hostFacts (): HostFacts {
  cached ??= { euid: process.geteuid?.() ?? 0, inUserNamespace: readInUserNamespace(), setgroupsDenied: readSetgroupsDenied() }
  return cached
}

/**
 * runc's shouldHonorXDGRuntimeDir: the default state root is
 * $XDG_RUNTIME_DIR/<runtime> when it is set and the caller is not root, or is
 * root of a user namespace other than the initial one unless $USER is
 * "root" (real root keeps /run/<runtime> even when XDG_RUNTIME_DIR is
 * /run/user/0).
 */
export function honorsXdgRuntimeDir (env: NodeJS.ProcessEnv, facts: HostFacts = hostFacts()): boolean {
  if ((env.XDG_RUNTIME_DIR ?? '') === '') return false
  if (facts.euid !== 0) return true
  if (!facts.inUserNamespace) return false
  return env.USER === undefined || env.USER !== 'root'
}

/**
 * --rootless auto, as runc's shouldUseRootlessCgroupManager: rootless unless
 * euid 0 in the initial user namespace. In another user namespace with the
 * cgroupfs driver the cgroup path's ownership is unknown, so rootless (its
 * cgroup failures degrade, not fail). With --systemd-cgroup runc asks the
 * user's systemd for its owner uid and takes 0 when it cannot: ocirt has no
 * systemd to ask, so it takes 0 (not rootless) there too.
 */
export function rootlessByDefault (systemdCgroup = false, facts: HostFacts = hostFacts()): boolean {
  if (facts.euid !== 0) return true
  if (!facts.inUserNamespace) return false
  return !systemdCgroup
}
