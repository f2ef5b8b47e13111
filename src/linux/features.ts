/**
 * What this build of ocirt implements, as features.md and features-linux.md
 * describe it (the `features` command). Only what works is claimed.
 */
import type { Features, LinuxNamespaceType } from '../spec/types.js'
import { CAPABILITIES } from '../spec/linux-names.js'
import { SPEC_VERSION } from '../version.js'
import { MOUNT_OPTION_NAMES } from './mount-options.js'
import { NAMESPACE_FLAGS } from './namespaces.js'
import { kernelSeccompActions, kernelSeccompFlags, SECCOMP_ARCHS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from './seccomp.js'

export function features (): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: SPEC_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [...MOUNT_OPTION_NAMES].sort(),
    linux: {
      namespaces: (Object.keys(NAMESPACE_FLAGS) as LinuxNamespaceType[]).sort(),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        // What both this build and the running kernel have.
        actions: kernelSeccompActions(),
        operators: [...SECCOMP_OPERATORS],
        archs: [...SECCOMP_ARCHS],
        knownFlags: [...SECCOMP_FLAGS],
        supportedFlags: kernelSeccompFlags(),
      },
      // features-linux.md: whether this build supports them, not whether the
      // host has the LSM on (security-labels.ts applies both; runc 1.1.5 says true too).
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: false },
    },
    // As runc's org.opencontainers.runc.checkpoint.enabled: the commands exist; whether criu works on this kernel is checked when they run.
    annotations: { 'org.ocirt.version': SPEC_VERSION, 'org.ocirt.checkpoint.enabled': 'true' },
  }
}
