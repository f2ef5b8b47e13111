/**
 * Fields of config.json this build cannot apply yet. runtime.md "Create": a
 * property the runtime cannot apply MUST make create fail, so each one here
 * is an error that names its JSON path, never silently dropped.
 */
import { existsSync, readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import type { Process, Spec } from '../spec/types.js'

function appArmorEnabled (): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'
  } catch {
    return false
  }
}

const selinuxEnabled = (): boolean => existsSync('/sys/fs/selinux/enforce')

/** Throws for what cannot be applied; returns warnings for what is a no-op on this host. */
export function checkProcessSupported (process: Process, file: string, at: string): string[] {
  const warnings: string[] = []
  if (process.apparmorProfile !== undefined && process.apparmorProfile !== '') {
    throw new ConfigError(file, `${at}/apparmorProfile`, appArmorEnabled()
      ? 'applying AppArmor profiles is not supported yet by this build of ocirt'
      : 'AppArmor is not enabled on this host')
  }
  if (process.selinuxLabel !== undefined && process.selinuxLabel !== '') {
    // As runc: labels are a no-op where SELinux is disabled.
    if (selinuxEnabled()) throw new ConfigError(file, `${at}/selinuxLabel`, 'applying SELinux labels is not supported yet by this build of ocirt')
    warnings.push(`${at.slice(1).replace(/\//g, '.')}.selinuxLabel ignored: SELinux is not enabled on this host`)
  }
  return warnings
}

export function checkSpecSupported (spec: Spec): string[] {
  const warnings = spec.process !== undefined ? checkProcessSupported(spec.process, 'config.json', '/process') : []
  const linux = spec.linux ?? {}
  for (const key of ['memoryPolicy', 'intelRdt', 'netDevices'] as const) {
    if (linux[key] !== undefined) throw new ConfigError('config.json', `/linux/${key}`, 'not supported yet by this build of ocirt')
  }
  if (linux.mountLabel !== undefined && linux.mountLabel !== '') {
    if (selinuxEnabled()) throw new ConfigError('config.json', '/linux/mountLabel', 'applying SELinux labels is not supported yet by this build of ocirt')
    warnings.push('linux.mountLabel ignored: SELinux is not enabled on this host')
  }
  return warnings
}
