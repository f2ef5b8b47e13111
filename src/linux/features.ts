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
      cgroup: { v1: false, v2: false, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        // What both this build and the running kernel have.
        actions: kernelSeccompActions(),
        operators: [...SECCOMP_OPERATORS],
        archs: [...SECCOMP_ARCHS],
        knownFlags: [...SECCOMP_FLAGS],
        supportedFlags: kernelSeccompFlags(),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
      netDevices: { enabled: false },
    },
    annotations: { 'org.ocirt.version': SPEC_VERSION },
  }
}
