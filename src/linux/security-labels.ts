/**
 * process.apparmorProfile, process.selinuxLabel (config.md "Linux Process")
 * and linux.mountLabel (config-linux.md "Mount Label"), applied as runc does
 * where the host has the LSM: the init writes the label the program gets at
 * execve to /proc/thread-self/attr/... just before exec, and mounts that take
 * an fs context get context="<mountLabel>" in their data. Where the host does
 * not have it: an AppArmor profile is an error (create cannot apply it); an
 * SELinux label is ignored with a warning. runc 1.1.5 refuses the label
 * there instead (conformance/deviations.md records the difference).
 */
import { existsSync, readFileSync } from './io.js'
import { ConfigError } from '../errors.js'
import type { ProcessPlan } from '../native.js'
import { MountOp } from '../generated/plan.js'
import type { Process } from '../spec/types.js'
import { MS_BIND } from './constants.js'
import type { PlannedStep } from './rootfs.js'

function appArmorEnabled (): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'
  } catch {
    return false
  }
}

const selinuxEnabled = (): boolean => existsSync('/sys/fs/selinux/enforce')

export interface ExecLabelPlan {
  label: Pick<ProcessPlan, 'execLabelFiles' | 'execLabel'>
  warnings: string[]
}

/** `at` is the process object's JSON pointer in `file` ("/process" in config.json, "" in exec's process.json). */
export function planExecLabel (process: Process, file: string, at: string): ExecLabelPlan {
  const warnings: string[] = []
  const profile = process.apparmorProfile ?? ''
  const selinuxLabel = process.selinuxLabel ?? ''
  let label: ExecLabelPlan['label'] = {}
  if (profile !== '') {
    if (!appArmorEnabled()) throw new ConfigError(file, `${at}/apparmorProfile`, 'AppArmor is not enabled on this host')
    // The per-LSM file first (stacked LSMs, Linux 5.8); the shared one on older kernels.
    label = { execLabelFiles: ['attr/apparmor/exec', 'attr/exec'], execLabel: `exec ${profile}` }
  }
  if (selinuxLabel !== '') {
    if (!selinuxEnabled()) {
      warnings.push(`${at.slice(1).replace(/\//g, '.')}${at === '' ? '' : '.'}selinuxLabel ignored: SELinux is not enabled on this host`)
    } else if (label.execLabel !== undefined) {
      throw new ConfigError(file, `${at}/selinuxLabel`, 'both an AppArmor profile and an SELinux label: this build applies one of them')
    } else {
      label = { execLabelFiles: ['attr/exec'], execLabel: selinuxLabel }
    }
  }
  return { label, warnings }
}

/** Filesystems runc gives no context= (procfs, sysfs and cgroupfs refuse it; mqueue is not labelled). */
const UNLABELLED_FS = new Set(['proc', 'sysfs', 'mqueue', 'cgroup', 'cgroup2', 'bind'])

/**
 * linux.mountLabel: context="<label>" added to the data of the config's
 * mounts that take one (every filesystem mount but the unlabelled kinds; a
 * bind mount has no data). Returns a warning where SELinux is disabled.
 */
export function applyMountLabel (mountLabel: string | undefined, steps: PlannedStep[]): string[] {
  if (mountLabel === undefined || mountLabel === '') return []
  if (!selinuxEnabled()) return ['linux.mountLabel ignored: SELinux is not enabled on this host']
  for (const { step, origin } of steps) {
    if (!origin.startsWith('/mounts/') || step.op !== MountOp.Mount || step.fstype === undefined || UNLABELLED_FS.has(step.fstype)) continue
    if (((step.flags ?? 0) & MS_BIND) !== 0) continue
    const context = `context="${mountLabel}"`
    step.data = step.data === undefined || step.data === '' ? context : `${step.data},${context}`
  }
  return []
}
