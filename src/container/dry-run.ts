/**
 * create --dry-run: the plan create would execute on this host, as JSON,
 * with nothing made (no state dir, cgroup, process or mount, no hook run).
 * runc has no way to show this; it helps to see why a config does what it does.
 */
import type { MountStep } from '../native.js'
import { CreateKind, MountOp } from '../generated/plan.js'
import type { ContainerPlan } from '../linux/plan.js'
import type { CgroupPlan } from '../linux/cgroups/index.js'
import { CAPABILITIES } from '../spec/linux-names.js'
import type { Spec } from '../spec/types.js'
import type { CreateOptions } from './create.js'
import { planCreate } from './create.js'
import { jsonSafe } from '../json-safe.js'

const mountOpNames = new Map<number, string>(Object.entries(MountOp).map(([name, value]) => [value, name]))
const createKindNames = new Map<number, string>(Object.entries(CreateKind).map(([name, value]) => [value, name]))

export function dryRunCreate (opts: CreateOptions): string {
  const { id, spec, plan, cgroupPlan } = planCreate(opts)
  const document = {
    id,
    rootfs: plan.init.rootfs,
    namespaces: describeNamespaces(spec),
    mounts: describeSteps(plan.init.mountSteps, plan.mountOrigins),
    postPivot: describeSteps(plan.init.postPivotSteps, plan.postPivotOrigins),
    devices: describeDevices(plan),
    cgroup: describeCgroup(spec, id, cgroupPlan, plan.rootless),
    seccomp: describeSeccomp(spec),
    identity: describeIdentity(plan),
    process: { args: plan.init.process.args, env: plan.init.process.env, cwd: plan.init.process.cwd, source: '/process' },
    hostname: plan.init.hostname,
    sysctls: plan.init.sysctls,
    warnings: [...plan.warnings, ...cgroupPlan.warnings],
  }
  return JSON.stringify(document, jsonSafe, 2)
}

function describeNamespaces (spec: Spec): { create: Array<{ type: string, source: string }>, join: Array<{ type: string, path: string, source: string }> } {
  const create: Array<{ type: string, source: string }> = []
  const join: Array<{ type: string, path: string, source: string }> = []
  ;(spec.linux?.namespaces ?? []).forEach((ns, i) => {
    const source = `/linux/namespaces/${i}`
    if (ns.path !== undefined && ns.path !== '') join.push({ type: ns.type, path: ns.path, source })
    else create.push({ type: ns.type, source })
  })
  return { create, join }
}

function describeSteps (steps: MountStep[], origins: string[]): object[] {
  return steps.map((step, i) => ({
    ...step,
    op: mountOpNames.get(step.op) ?? step.op,
    ...(step.create !== undefined ? { create: createKindNames.get(step.create) ?? step.create } : {}),
    source: step.source,
    origin: origins[i],
  }))
}

function describeDevices (plan: ContainerPlan): object[] {
  return plan.init.mountSteps.map((step, i) => ({ step, origin: plan.mountOrigins[i] }))
    .filter(({ step }) => step.op === MountOp.Mknod || step.op === MountOp.BindDevice)
    .map(({ step, origin }) => ({ path: step.target, op: mountOpNames.get(step.op), major: step.major, minor: step.minor, mode: step.mode, uid: step.uid, gid: step.gid, origin }))
}

/**
 * The cgroup create would make and the files it would write there. A
 * rootless create whose cgroup cannot be made (and that sets no limits) runs
 * in its caller's cgroup instead: a dry run cannot know that without trying.
 */
function describeCgroup (spec: Spec, id: string, cgroupPlan: CgroupPlan, rootless: boolean): object {
  const { manager } = cgroupPlan
  const cgroup = manager.planned(spec.linux?.cgroupsPath, id)
  const fileOf = (controller: string, file: string): string | null => {
    const dir = manager.dirFor(cgroup, controller)
    return dir === undefined ? null : `${dir}/${file}`
  }
  const writes = cgroupPlan.writes.map(w => ({ file: fileOf(w.controller, w.file), value: w.value, source: w.pointer, ...(w.optional === true ? { optional: true } : {}) }))
  // As create: a rootless container's device nodes are the caller's own, no rules are added.
  const deviceWrites = manager.deviceWrites(cgroupPlan.devices)
  const deviceRules = rootless
    ? []
    : deviceWrites !== undefined
      ? deviceWrites.map(w => ({ file: fileOf(w.controller, w.file), value: w.value, source: w.pointer }))
      : cgroupPlan.devices.map(r => ({ rule: r.rule, source: r.pointer, applied: 'eBPF device filter' }))
  return { version: cgroup.version, path: cgroup.path, dirs: cgroup.dirs, source: '/linux/cgroupsPath', writes, deviceRules }
}

/** The filter's shape, not its BPF program. */
function describeSeccomp (spec: Spec): object | null {
  const seccomp = spec.linux?.seccomp
  if (seccomp === undefined) return null
  return {
    defaultAction: seccomp.defaultAction,
    syscallRules: (seccomp.syscalls ?? []).length,
    architectures: seccomp.architectures ?? [],
    flags: seccomp.flags ?? [],
    source: '/linux/seccomp',
  }
}

function capabilityNames (mask: bigint): string[] {
  return CAPABILITIES.filter((_name, bit) => (mask >> BigInt(bit)) & 1n)
}

function describeIdentity (plan: ContainerPlan): object {
  const p = plan.init.process
  const caps = p.capabilities
  return {
    uid: p.uid,
    gid: p.gid,
    additionalGids: p.additionalGids,
    capabilities: caps === null
      ? null
      : {
          bounding: capabilityNames(caps.bounding),
          effective: capabilityNames(caps.effective),
          inheritable: capabilityNames(caps.inheritable),
          permitted: capabilityNames(caps.permitted),
          ambient: capabilityNames(caps.ambient),
        },
    noNewPrivileges: p.noNewPrivileges,
    source: '/process/user, /process/capabilities, /process/noNewPrivileges',
  }
}
