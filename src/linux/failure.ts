/**
 * The init's failure record (phase, step, errno) turned into one line that
 * names the config path it came from. Every phase and every step number the
 * native side reports (native/init.h enum Phase, the Fail() calls in
 * native/*.cc) has a name here; test/unit/failure-descriptions.test.ts reads
 * the native sources and checks that.
 */
import type { InitPlan, InitFailure } from '../native.js'
import { InitPhase, MountOp } from '../generated/plan.js'
import { ERRNO } from './constants.js'

/** errno values the failure messages explain. */
const { EPERM, EACCES, EXDEV, EINVAL, ELOOP } = ERRNO

export const PHASE_TEXT: Readonly<Record<number, string>> = {
  [InitPhase.Sync]: 'container init exited during setup',
  [InitPhase.Setns]: 'joining namespace',
  [InitPhase.Unshare]: 'creating namespaces',
  [InitPhase.Hostname]: 'setting hostname',
  [InitPhase.RootPropagation]: 'making / private to the container',
  [InitPhase.RootBind]: 'bind-mounting the rootfs',
  [InitPhase.Pivot]: 'pivot_root into the rootfs',
  [InitPhase.Rlimit]: 'setting rlimit',
  [InitPhase.Identity]: 'setting user and groups',
  [InitPhase.Capabilities]: 'setting capabilities',
  [InitPhase.NoNewPrivileges]: 'setting no_new_privs',
  [InitPhase.UserMap]: 'writing the user namespace id maps',
  [InitPhase.Listen]: 'creating exec.sock in the state dir',
  [InitPhase.Clone]: 'clone3',
  [InitPhase.TimeOffsets]: 'config.json /linux/timeOffsets: writing /proc/self/timens_offsets',
  [InitPhase.Fork]: 'forking the container process into its new pid or time namespace',
  [InitPhase.Seccomp]: 'config.json /linux/seccomp: loading the filter',
  [InitPhase.Console]: 'setting up the terminal (process.terminal)',
  [InitPhase.ConsoleSocket]: 'passing the pty master to --console-socket',
  [InitPhase.Cgroup]: 'placing the init in its cgroup',
  [InitPhase.Keyring]: 'joining a new session keyring (--no-new-keyring keeps the caller\'s)',
  [InitPhase.Personality]: 'linux.personality: personality(2)',
  [InitPhase.Scheduler]: 'process.scheduler: sched_setattr(2)',
  [InitPhase.IoPriority]: 'process.ioPriority: ioprio_set(2)',
  [InitPhase.SecurityLabel]: 'process.apparmorProfile / process.selinuxLabel: writing /proc/thread-self/attr/exec',
  [InitPhase.Session]: 'setsid: making the container process a session leader',
  [InitPhase.Stage]: 'starting the sealed stage executable (ocirt-stage beside ocirt.node)',
}

/**
 * The step within a phase, for the phases whose steps are separate syscalls
 * (the numbers are the second argument of Fail() in the child steps, native/child.cc and the files it calls, and of Failed() in native/parent.cc).
 */
export const STEP_TEXT: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [InitPhase.Stage]: {
    0: 'executing the sealed stage (execveat of ocirt-stage beside ocirt.node)',
    1: 'opening the sealed stage executable (ocirt-stage beside ocirt.node)',
    2: 'writing the plan into a sealed memfd for the stage',
    3: 'the sealed stage exited before it reported the container init',
    4: 'opening a pidfd for the container init',
    5: 'the sealed stage decoding its plan',
  },
  [InitPhase.RootPropagation]: {
    0: 'config.json /linux/rootfsPropagation: setting the propagation of /',
    1: 'config.json /linux/rootfsPropagation: making the mount that holds the rootfs private',
  },
  [InitPhase.RootBind]: {
    0: 'config.json /root/path: bind-mounting the rootfs onto itself',
    1: 'config.json /root/path: opening the rootfs',
  },
  [InitPhase.Clone]: {
    0: 'creating the channels to the container init (socketpair, pipe2)',
    1: 'clone3',
  },
  [InitPhase.Pivot]: {
    0: 'entering the rootfs (fchdir)',
    1: 'moving the rootfs onto / (linux.rootfsPropagation, --no-pivot)',
    2: 'chroot into the rootfs (--no-pivot)',
    3: 'pivot_root into the rootfs',
    4: 'making the old root a slave before detaching it',
    5: 'detaching the old root',
    6: 'chdir to the new /',
    7: 'opening the new /',
    8: 'detaching the host\'s mounts under the rootfs (--no-pivot)',
    9: 'chroot into the rootfs',
    10: 'copying the container\'s mount tree (open_tree)',
    11: 'rejoining the runtime\'s mount namespace',
    12: 'entering the copied mount tree',
  },
  [InitPhase.Identity]: {
    0: 'config.json /process/user/additionalGids: setgroups',
    1: 'config.json /process/user/gid: setresgid',
    2: 'config.json /process/user/uid: setresuid',
    3: 'becoming root of the container\'s user namespace (setresuid/setresgid 0)',
  },
  [InitPhase.Capabilities]: {
    0: 'config.json /process/capabilities: prctl(PR_SET_KEEPCAPS)',
    1: 'config.json /process/capabilities/bounding: dropping a capability from the bounding set',
    2: 'config.json /process/capabilities: capset',
  },
  [InitPhase.Hostname]: {
    0: 'config.json /hostname: sethostname',
    1: 'config.json /domainname: setdomainname',
  },
  [InitPhase.Console]: {
    0: 'process.terminal: opening /dev/ptmx in the container',
    1: 'process.terminal: unlocking the pty (TIOCSPTLCK)',
    2: 'process.terminal: reading the pty number (TIOCGPTN)',
    3: 'process.terminal: opening the pty peer (TIOCGPTPEER)',
    4: 'process.consoleSize: setting the window size (TIOCSWINSZ)',
    5: 'process.terminal: bind-mounting the pty on /dev/console',
    6: 'process.terminal: chown of the pty to process.user.uid',
    8: 'process.terminal: making the pty the controlling terminal (TIOCSCTTY)',
    9: 'process.terminal: making the pty stdin, stdout and stderr',
    10: 'process.terminal: opening the rootfs',
  },
  [InitPhase.ConsoleSocket]: {
    0: 'connecting to --console-socket',
    1: 'passing the pty master to --console-socket',
  },
}

/** The name of a failure's phase and step; every (phase, step) the native side reports has one. */
export function describeStepOfPhase (phase: number, step: number): string {
  return STEP_TEXT[phase]?.[step] ?? PHASE_TEXT[phase] ?? `container init failed (phase ${phase})`
}

/** The plan a failure is described from: the wire plan the child ran and, for a container's init (not exec), the config path of each mount step. */
export interface FailedPlan { init: InitPlan, mountOrigins?: string[], postPivotOrigins?: string[] }

/** Turns the init's failure record into a message that names the config path it came from. */
export function describeFailure (plan: FailedPlan, f: InitFailure, strerror: (errno: number) => string): string {
  const reason = strerror(f.errno).toLowerCase()
  const init = plan.init
  // A step number the plan does not hold (a native/ bug) still gets a line, not a TypeError.
  const byPhaseAndStep = `${describeStepOfPhase(f.phase, f.step)}: ${reason}`
  switch (f.phase) {
    case InitPhase.MountStep: {
      const step = init.mountSteps[f.step]
      if (step === undefined) return byPhaseAndStep
      if (step.noSymlinks === true && f.errno === ELOOP) {
        return `config.json ${plan.mountOrigins?.[f.step]}: refusing to mount ${step.fstype} on ${step.target}: the rootfs has a symlink on that path`
      }
      if (step.op === MountOp.IdmappedBind && f.errno === EINVAL) {
        return `config.json ${plan.mountOrigins?.[f.step]}: ${describeStep(step)}: ${reason} (the filesystem of ${step.source ?? ''} cannot be id-mapped, or the mapping is invalid)`
      }
      return `config.json ${plan.mountOrigins?.[f.step]}: ${describeStep(step)}: ${reason}`
    }
    case InitPhase.PostPivotStep: {
      const step = init.postPivotSteps[f.step]
      if (step === undefined) return byPhaseAndStep
      if (step.op === MountOp.Mask && f.errno === EXDEV) {
        return `config.json ${plan.postPivotOrigins?.[f.step]}: refusing to mask ${step.target}: the container's /dev/null is not the null device`
      }
      return `config.json ${plan.postPivotOrigins?.[f.step]}: ${describeStep(step)}: ${reason}`
    }
    case InitPhase.Sysctl: {
      const sysctl = init.sysctls[f.step]
      if (sysctl === undefined) return byPhaseAndStep
      const [path, value] = sysctl
      if (f.errno === EXDEV) return `config.json /linux/sysctl: refusing to write /proc/sys/${path}: it is not on procfs (something is mounted over /proc/sys)`
      return `config.json /linux/sysctl: writing ${value} to /proc/sys/${path}: ${reason}`
    }
    case InitPhase.Clone:
      // CLONE_INTO_CGROUP: the kernel checks write permission on the target's
      // cgroup.procs and on that of the common ancestor with ocirt's own
      // cgroup (cgroup_procs_write_permission). A caller who could make the
      // cgroup but may not enter it gets here (unprivileged with --rootless
      // false below a world-writable cgroup, where no devices rules refuse first).
      if (f.step === 1 && f.errno === EACCES && init.cloneIntoCgroup !== undefined) {
        return `config.json /linux/cgroupsPath: clone3 into the cgroup ${init.cloneIntoCgroup}: ${reason} ` +
          '(entering it needs write permission on its cgroup.procs and on that of the cgroup it shares with ocirt\'s own)'
      }
      return byPhaseAndStep
    case InitPhase.Cgroup:
      // Steps count the parent's cgroup.procs writes first, then the stage's own tasks writes.
      return `config.json /linux/cgroupsPath: placing the init in its cgroup through ${[...(init.cgroupProcs ?? []), ...(init.selfPlaceTasks ?? [])][f.step] ?? 'cgroup.procs'}: ${reason}`
    case InitPhase.Rlimit:
      // In a user namespace (and rootless) the init has no CAP_SYS_RESOURCE where it counts.
      return `config.json /process/rlimits/${f.step}: setrlimit: ${reason}${f.errno === EPERM ? ' (raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace)' : ''}`
    case InitPhase.UserMap:
      return describeUserMapFailure(init, f, reason)
    case InitPhase.OomScoreAdj:
      return `config.json /process/oomScoreAdj: writing ${init.oomScoreAdj ?? ''} to /proc/PID/oom_score_adj: ${reason}` +
        (f.errno === EACCES ? ' (lowering it below ocirt\'s own needs CAP_SYS_RESOURCE)' : '')
    case InitPhase.Setns: {
      // Step -2: ocirt's own mount namespace, which the init returns to (inherit_mount_namespace).
      if (f.step === -2) return `opening ocirt's own mount namespace (/proc/thread-self/ns/mnt): ${reason}`
      const join = f.step === -1 ? init.joinPidNamespace : init.joinNamespaces[f.step]?.path
      return `config.json /linux/namespaces: joining ${join}: ${reason}`
    }
    case InitPhase.ExecLookup: {
      // runc's wording: podman maps these texts to exit codes 127 and 126.
      const name = f.message
      if (f.step === 0) return `exec: "${name}": executable file not found in $PATH`
      if (f.errno === EACCES) return `exec: "${name}": permission denied`
      return `exec: "${name}": stat ${name}: ${reason}`
    }
    case InitPhase.Exec:
      return `exec: "${f.message}": ${reason}`
    case InitPhase.CpuAffinity:
      return `process.execCPUAffinity.${f.step === 0 ? 'initial' : 'final'}: sched_setaffinity: ${reason}`
    case InitPhase.Cwd:
      return `config.json /process/cwd: chdir to cwd ("${f.message}") set in config.json failed: ${reason}`
    default:
      return byPhaseAndStep
  }
}

/** Steps of the parent's id map writing (native/parent.cc): 0 setgroups, 1 uid map, 2 gid map. */
function describeUserMapFailure (init: InitPlan, f: InitFailure, reason: string): string {
  if (f.step === 0) return `config.json /linux/gidMappings: writing "deny" to /proc/PID/setgroups: ${reason}`
  const [key, file, helper] = f.step === 1 ? ['uidMappings', 'uid_map', init.uidMapHelper] : ['gidMappings', 'gid_map', init.gidMapHelper]
  if (helper !== undefined) return `config.json /linux/${key}: ${helper[0]} refused the mappings (its message is above)`
  return `config.json /linux/${key}: writing /proc/PID/${file}: ${reason}` +
    (f.errno === EPERM ? ' (the host ids must be mapped in ocirt\'s own user namespace)' : '')
}

function describeStep (step: { op: number, target: string, source?: string, fstype?: string }): string {
  const names: Record<number, string> = {
    1: `mount ${step.fstype ?? 'bind'} ${step.source ?? ''} on ${step.target}`,
    2: `remount ${step.target}`,
    3: `set propagation of ${step.target}`,
    4: `mknod ${step.target}`,
    5: `bind device ${step.source} on ${step.target}`,
    6: `symlink ${step.target} -> ${step.source}`,
    7: `mask ${step.target}`,
    8: `make ${step.target} read-only`,
    9: `mkdir ${step.target}`,
    10: `set mount attributes on ${step.target}`,
    11: `id-mapped bind mount of ${step.source ?? ''} on ${step.target}`,
    12: `bind mount ${step.source ?? ''} on ${step.target}`,
  }
  return names[step.op] ?? `step on ${step.target}`
}
