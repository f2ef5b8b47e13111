/**
 * The plan crosses from TypeScript to C++ by key name (native/marshal.cc) and
 * from the runtime to the sealed stage as bytes (native/plan_wire.cc). These
 * tests need no root and no dist/ocirt: only the addon (build/Release or dist).
 * A key renamed on one side must fail loudly: noSymlinks read as absent would
 * silently switch off the CVE-2019-16884 guard.
 */
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildPlan } from '../../src/linux/plan.js'
import { CreateKind, DumpableUntil, MountOp } from '../../src/generated/plan.js'
import { type InitPlan, loadNative } from '../../src/native.js'
import { parseConfig } from '../../src/spec/validate.js'
import * as planDefinition from '../../scripts/wire/plan-definition.mjs'

const REPO = join(import.meta.dirname, '..', '..')
const native = loadNative()

function fixturePlans (t: { teardown: (fn: () => void) => void }): Array<{ name: string, plan: InitPlan }> {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-wire-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const rootfs = join(dir, 'rootfs')
  mkdirSync(rootfs)
  const configs = ['runc-1.1.5-spec.json', 'crun-1.8.1-spec.json', 'podman-4.3-run.json', 'containerd-1.6-cri-container.json', 'containerd-1.6-cri-sandbox.json']
  return configs.map(name => {
    const doc = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'configs', name), 'utf8'))
    doc.root = { ...(doc.root ?? {}), path: rootfs }
    if (doc.process !== undefined) {
      doc.process.terminal = false
      // This host has no AppArmor or SELinux: the planner refuses labels it cannot apply.
      delete doc.process.apparmorProfile
      delete doc.process.selinuxLabel
    }
    // The clients' bind sources (resolv.conf, hostname, ...) exist only on their hosts: point them at a file of ours.
    for (const [i, m] of (doc.mounts ?? []).entries()) {
      if (m.type === 'bind' || (m.options ?? []).some((o: string) => o === 'bind' || o === 'rbind')) {
        m.source = join(dir, `source-${name}-${i}`)
        writeFileSync(m.source, '')
      }
    }
    const plan = buildPlan(parseConfig(JSON.stringify(doc)), {
      bundle: dir, stateDir: join(dir, 'state'), id: 'wire-' + name, preserveFds: 0, noPivot: false, noNewKeyring: false, consoleSocket: undefined, rootless: false,
    })
    return { name, plan: plan.init }
  })
}

/** A plan with every optional field set, so that every field crosses both boundaries. */
function fullPlan (): InitPlan {
  const step = {
    op: MountOp.Mount, target: 'proc', source: 'proc', fstype: 'proc', flags: 14, data: 'hidepid=2', create: CreateKind.Directory,
    mode: 0o20666, major: 1, minor: 3, uid: 1, gid: 2, attrSet: 1, attrClr: 2, recursive: true, noSymlinks: true,
    idmapUserns: '/proc/1/ns/user', idmapUidMap: '0 1000 1', idmapGidMap: '0 1000 1', copyUp: true,
  }
  return {
    cloneFlags: 0x20000, unshareFlags: 0x4000000, joinNamespaces: [{ type: 0x40000000, path: '/proc/1/ns/net' }],
    joinPidNamespace: '/proc/1/ns/pid', forkAfterUnshare: true, timeOffsets: 'monotonic 1 0', uidMap: '0 1000 1', gidMap: '0 1000 1',
    uidMapHelper: ['/usr/bin/newuidmap'], gidMapHelper: ['/usr/bin/newgidmap'], dumpableUntil: DumpableUntil.Exec, setgroupsDeny: true,
    cgroupProcs: ['/sys/fs/cgroup/x/cgroup.procs'], cloneIntoCgroup: '/sys/fs/cgroup/unified/x', selfPlaceTasks: ['/sys/fs/cgroup/cpu/x/tasks'],
    oomScoreAdj: -500, hostname: 'h', domainname: 'd', rootfs: '/tmp/rootfs', rootPropagation: 0x40000,
    mountSteps: [step, { op: MountOp.Mask, target: 'proc/kcore' }], noPivot: true, inheritMountNamespace: true, chrootTo: '/tmp/rootfs',
    noPivotDetach: ['/proc'], postPivotSteps: [{ ...step, op: MountOp.Remount }], sysctls: [['net.ipv4.ip_forward', '1']],
    rlimits: [{ resource: 7, soft: 1024n, hard: 4096n }],
    process: {
      args: ['sh', '-c', 'true'], env: ['PATH=/bin'], cwd: '/', searchPath: ['/bin'], uid: 1, gid: 2, additionalGids: [3, 4], umask: 0o22,
      noNewPrivileges: true, capabilities: { bounding: 1n, effective: 2n, inheritable: 4n, permitted: 8n, ambient: 16n }, lastCap: 40,
      personality: 8, scheduler: { policy: 6, flags: 0, nice: 0, priority: 0, runtime: 1n, deadline: 2n, period: 3n }, ioPriority: 0x4004,
      initialCpus: [0], finalCpus: [0, 1], execLabelFiles: ['/proc/self/attr/exec'], execLabel: 'label',
    },
    preserveFds: 2, stateDir: '/run/ocirt/x', sessionKeyring: '_ses.x', pauseBeforePivot: true, terminal: true, consoleSocket: '/tmp/c.sock',
    consoleRows: 24, consoleCols: 80, joinOnly: false, execImmediately: true, seccompFilter: Buffer.from([6, 0, 0, 0, 0, 0, 0xff, 0x7f]), seccompFlags: 1,
    startContainerHooks: [{ path: '/bin/true', args: ['true'], env: ['A=1'], timeout: 5 }], hookStateBeforePid: '{"pid":', hookStateAfterPid: '}',
  }
}

t.test('plans from the fixture configs cross to C++ and through the stage bytes unchanged', async t => {
  for (const { name, plan } of fixturePlans(t)) {
    t.ok(native.checkPlanWire(plan) > 0, name)
  }
})

t.test('a plan with every optional field set crosses unchanged', async t => {
  t.ok(native.checkPlanWire(fullPlan()) > 0)
})

t.test('the full plan sets every key of the wire definition, so every field crosses both boundaries', async t => {
  const structs = new Map(planDefinition.structs.map(s => [s.name, s]))
  const visit = (structName: string, value: Record<string, unknown>, path: string): void => {
    for (const f of structs.get(structName)?.fields ?? []) {
      if (f.js === undefined) continue
      const field = value[f.js]
      t.ok(field !== undefined && field !== null, `${path}.${f.js} is set`)
      if (typeof f.type !== 'object' || field === undefined || field === null) continue
      const nested = f.type.struct ?? f.type.list
      if (nested === undefined) continue
      // A list's first element is the one with every field set.
      const first = f.type.list !== undefined ? (field as Array<Record<string, unknown>>)[0] : field as Record<string, unknown>
      t.ok(first !== undefined, `${path}.${f.js} has an element`)
      if (first !== undefined) visit(nested, first, f.type.list !== undefined ? `${path}.${f.js}[0]` : `${path}.${f.js}`)
    }
  }
  visit('InitPlan', fullPlan() as unknown as Record<string, unknown>, 'plan')
})

t.test('an unknown key is rejected, naming the struct and the key', async t => {
  t.throws(() => native.checkPlanWire({ ...fullPlan(), extra: 1 } as unknown as InitPlan), { message: 'InitPlan: unknown key "extra"' })
  const plan = fullPlan()
  ;(plan.process as unknown as Record<string, unknown>).argv = ['x']
  t.throws(() => native.checkPlanWire(plan), { message: 'ProcessPlan: unknown key "argv"' })
})

t.test('a missing required key is rejected, naming the struct and the key', async t => {
  const plan = fullPlan() as unknown as Record<string, unknown>
  delete plan.rootfs
  t.throws(() => native.checkPlanWire(plan as unknown as InitPlan), { message: 'InitPlan: missing key "rootfs"' })
  const withHook = fullPlan()
  delete (withHook.startContainerHooks![0] as Partial<{ timeout: number }>).timeout
  t.throws(() => native.checkPlanWire(withHook), { message: 'HookPlan: missing key "timeout"' })
})

t.test('renaming a field on the TypeScript side is caught (noSymlinks guards CVE-2019-16884)', async t => {
  const plan = fullPlan()
  const [firstStep] = plan.mountSteps
  if (firstStep === undefined) throw new Error('fullPlan() has no mount step')
  const { noSymlinks, ...rest } = firstStep
  plan.mountSteps[0] = { ...rest, noSymLinks: noSymlinks } as unknown as InitPlan['mountSteps'][0]
  t.throws(() => native.checkPlanWire(plan), { message: 'MountStep: unknown key "noSymLinks"' })
  const renamed = fullPlan() as unknown as Record<string, unknown>
  renamed.root_fs = renamed.rootfs
  delete renamed.rootfs
  t.throws(() => native.checkPlanWire(renamed as unknown as InitPlan), { message: /InitPlan: (unknown key "root_fs"|missing key "rootfs")/ })
})
