/**
 * The config.json `ocirt spec` writes: exactly what `runc spec` writes (runc
 * 1.1.5; scripts and docs that start from it expect its values, hostname
 * "runc" and terminal true included), but for the runtime-spec version ocirt
 * implements.
 */
import type { Spec } from './types.js'
import { SPEC_VERSION } from '../version.js'

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']

export function defaultConfig (rootless: boolean): Spec {
  const spec: Spec = {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS], ambient: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  }
  if (rootless) toRootless(spec)
  return spec
}

/**
 * As runc spec --rootless: a user namespace mapping the caller to root and
 * no network namespace (an unprivileged one has no way out); the /sys mount
 * becomes a read-only rbind of the host's (sysfs can be mounted only for a
 * network namespace the user namespace owns); uid=/gid= mount options go (the
 * ids would not be mapped); no cgroup resources (rootless ocirt cannot set them).
 */
function toRootless (spec: Spec): void {
  const linux = spec.linux!
  linux.namespaces = [...(linux.namespaces ?? []).filter(n => n.type !== 'network' && n.type !== 'user'), { type: 'user' }]
  linux.uidMappings = [{ containerID: 0, hostID: process.geteuid?.() ?? 0, size: 1 }]
  linux.gidMappings = [{ containerID: 0, hostID: process.getegid?.() ?? 0, size: 1 }]
  delete linux.resources
  spec.mounts = spec.mounts!.map(m => m.destination === '/sys'
    ? { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
    : { ...m, ...(m.options !== undefined ? { options: m.options.filter(o => !/^[ug]id=/.test(o)) } : {}) })
}
