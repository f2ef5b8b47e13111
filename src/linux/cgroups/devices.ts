/**
 * linux.resources.devices (config-linux.md "Allowed Device List"): the rules
 * the container's cgroup enforces, as runc builds them: the config's rules,
 * then the devices every container gets (/dev/null, zero, full, random,
 * urandom, tty, ptmx, the pts, net/tun, and mknod of anything). The last
 * matching rule wins. A node of linux.devices gets no rule of its own: the
 * config's rules decide whether it can be opened (runc's behaviour; the
 * configs of containerd and podman allow their nodes explicitly).
 */
import type { LinuxDeviceCgroup } from '../../spec/types.js'
import type { CgroupWrite } from './resources.js'

/** An allow rule; an absent major or minor matches every number. */
const rule = (type: 'a' | 'c' | 'b', major: number | undefined, minor: number | undefined, access: string): LinuxDeviceCgroup =>
  ({ allow: true, type, ...(major !== undefined ? { major } : {}), ...(minor !== undefined ? { minor } : {}), access })

export const DEFAULT_ALLOWED_DEVICES: readonly LinuxDeviceCgroup[] = [
  rule('c', undefined, undefined, 'm'),
  rule('b', undefined, undefined, 'm'),
  rule('c', 1, 3, 'rwm'), // null
  rule('c', 1, 8, 'rwm'), // random
  rule('c', 1, 7, 'rwm'), // full
  rule('c', 5, 0, 'rwm'), // tty
  rule('c', 1, 5, 'rwm'), // zero
  rule('c', 1, 9, 'rwm'), // urandom
  rule('c', 136, undefined, 'rwm'), // pts/*, and /dev/console (a pty)
  rule('c', 5, 2, 'rwm'), // ptmx
  rule('c', 10, 200, 'rwm'), // net/tun
]

export interface PointedRule { rule: LinuxDeviceCgroup, pointer: string }

export function deviceRules (configured: LinuxDeviceCgroup[] | undefined): PointedRule[] {
  const out: PointedRule[] = (configured ?? []).map((r, i) => ({ rule: r, pointer: `/linux/resources/devices/${i}` }))
  for (const r of DEFAULT_ALLOWED_DEVICES) out.push({ rule: r, pointer: '/linux/resources/devices' })
  return out
}

/** "c 1:3 rwm", "a *:* rwm": the v1 devices controller's syntax. */
export function ruleText (r: LinuxDeviceCgroup): string {
  const type = r.type ?? 'a'
  const num = (n: number | undefined): string => n === undefined || n < 0 ? '*' : String(n)
  return `${type} ${num(r.major)}:${num(r.minor)} ${r.access ?? 'rwm'}`
}

/**
 * v1: devices.allow / devices.deny, in order. A rule for every device of
 * every type ("a") resets the cgroup's default (deny-all or allow-all) and its
 * exceptions; the rules after it add or remove exceptions, so the last
 * matching rule decides, as in the spec.
 *
 * The first write is "a" to devices.deny: a new v1 cgroup inherits its
 * parent's list, which is "a *:* rwm" at the root, and a config with no
 * devices rules (or []) would leave every device open, /dev/kmsg and /dev/mem
 * included, to a container that can mknod. runc builds its rules from
 * deny-all too (cgroups/devices emulator), as the v2 eBPF filter here does.
 */
export function v1DeviceWrites (rules: PointedRule[]): CgroupWrite[] {
  const denyAll: CgroupWrite = { controller: 'devices', file: 'devices.deny', value: 'a', pointer: '/linux/resources/devices' }
  return [denyAll, ...rules.map(({ rule: r, pointer }) => ({
    controller: 'devices',
    file: r.allow ? 'devices.allow' : 'devices.deny',
    value: ruleText(r),
    pointer,
  }))]
}
