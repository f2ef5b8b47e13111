// Every failure the native side can report has a name (issue 13 item 3).
// The list of phases and steps is read from the native sources themselves
// (enum Phase in native/init.h, every Fail()/fail()/Failed() call in native/*.cc), so
// a new step without a description, or a phase number that drifts between
// init.h and src/native.ts, fails here. No root and no built binary needed.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { InitPhase, MountOp } from '../../src/generated/plan.js'
import type { InitFailure } from '../../src/native.js'
import { describeFailure, PHASE_TEXT, STEP_TEXT } from '../../src/linux/failure.js'
import type { ContainerPlan } from '../../src/linux/plan.js'

const nativeDir = join(import.meta.dirname, '../../native')

function nativePhases (): Map<string, number> {
  const header = readFileSync(join(nativeDir, 'generated', 'plan.h'), 'utf8')
  const body = /enum Phase : int32_t \{([^}]*)\}/.exec(header)?.[1] ?? ''
  // Neither group is optional: every match has both.
  return new Map([...body.matchAll(/kPhase(\w+) = (\d+)/g)].map(m => [m[1]!, Number(m[2])]))
}

/** Every (phase, step) pair a Fail(c, kPhaseX, N, ...), fail(kPhaseX, N, ...) or Failed(kPhaseX, N, ...) (native/parent.cc) call reports. */
function nativeSteps (): Array<{ phase: string, step: number, file: string }> {
  const found: Array<{ phase: string, step: number, file: string }> = []
  for (const file of readdirSync(nativeDir).filter(f => f.endsWith('.cc'))) {
    const source = readFileSync(join(nativeDir, file), 'utf8')
    for (const [, phase, step] of source.matchAll(/\b(?:[Ff]ail|Failed)\((?:\w+, )?kPhase(\w+), (-?\d+)/g)) {
      if (phase !== undefined && step !== undefined) found.push({ phase, step: Number(step), file })
    }
  }
  return found
}

// A plan with one of everything a phase-specific message looks up.
const plan = {
  init: {
    mountSteps: [{ op: MountOp.Mount, target: '/proc', source: 'proc', fstype: 'proc' }],
    postPivotSteps: [{ op: MountOp.Mask, target: '/proc/kcore' }],
    sysctls: [['net.ipv4.ip_forward', '1']],
    joinNamespaces: [{ path: '/proc/1/ns/net' }],
    joinPidNamespace: '/proc/1/ns/pid',
    cgroupProcs: ['/sys/fs/cgroup/x/cgroup.procs'],
    oomScoreAdj: 0,
  },
  mountOrigins: ['/mounts/0'],
  postPivotOrigins: ['/linux/maskedPaths/0'],
} as unknown as ContainerPlan

const describe = (phase: number, step: number): string =>
  describeFailure(plan, { phase, step, errno: 1, message: 'sh' } as InitFailure, () => 'Operation not permitted')

t.test('enum Phase in native/init.h and InitPhase in src/native.ts agree', async t => {
  const phases = nativePhases()
  t.ok(phases.size > 30, 'enum Phase parsed from native/init.h')
  t.strictSame(Object.fromEntries(phases), { ...InitPhase })
})

t.test('every phase has a description', async t => {
  for (const [name, value] of nativePhases()) {
    const text = describe(value, 0)
    t.notMatch(text, /container init failed \(phase/, `${name} has a description`)
    t.notMatch(text, /undefined/, `${name}: ${text}`)
  }
})

t.test('every step the native side reports has a description', async t => {
  const phases = nativePhases()
  const steps = nativeSteps()
  t.ok(steps.length > 50, 'Fail() calls found in native/*.cc')
  for (const { phase, step, file } of steps) {
    const value = phases.get(phase)
    t.not(value, undefined, `${file}: kPhase${phase} is in enum Phase`)
    if (value === undefined) continue
    const text = describe(value, step)
    t.notMatch(text, /container init failed \(phase|undefined/, `${file}: kPhase${phase} step ${step}: ${text}`)
    // A phase reported at more than one step names each step, unless its message is built from the plan.
    if (STEP_TEXT[value] !== undefined) t.type(STEP_TEXT[value][step], 'string', `${file}: kPhase${phase} step ${step} is named in STEP_TEXT`)
  }
})

t.test('two steps of one phase never read the same', async t => {
  const phases = nativePhases()
  const byPhase = new Map<string, Set<number>>()
  for (const { phase, step } of nativeSteps()) byPhase.set(phase, (byPhase.get(phase) ?? new Set()).add(step))
  for (const [phase, steps] of byPhase) {
    const value = phases.get(phase)
    if (value === undefined || steps.size < 2) continue
    const texts = [...steps].map(step => describe(value, step))
    t.equal(new Set(texts).size, texts.length, `kPhase${phase} steps ${[...steps].join(', ')} have distinct descriptions`)
  }
})

t.test('the stage\'s own failure step is named', async t => {
  const stage = readFileSync(join(nativeDir, 'stage_main.cc'), 'utf8')
  const step = Number(/kStageStepDecode = (\d+)/.exec(stage)?.[1])
  t.type(STEP_TEXT[InitPhase.Stage]?.[step], 'string', `kPhaseStage step ${step} (stage_main.cc) is named`)
})

t.test('channel creation is not reported as clone3', async t => {
  t.notMatch(describe(InitPhase.Clone, 0), /clone3/)
  t.match(describe(InitPhase.Clone, 1), /^clone3: /)
  t.match(describe(InitPhase.Identity, 2), /process\/user\/uid: setresuid/)
  t.match(describe(InitPhase.Pivot, 3), /pivot_root/)
  t.type(PHASE_TEXT[InitPhase.Pivot], 'string')
})

t.test('clone3 refused with EACCES into the container\'s cgroup names /linux/cgroupsPath and the cgroup', async t => {
  const into = { ...plan, init: { ...plan.init, cloneIntoCgroup: '/sys/fs/cgroup/unified/c1' } } as unknown as ContainerPlan
  const eacces = { phase: InitPhase.Clone, step: 1, errno: 13, message: '' } as InitFailure
  t.match(describeFailure(into, eacces, () => 'Permission denied'), /^config\.json \/linux\/cgroupsPath: clone3 into the cgroup \/sys\/fs\/cgroup\/unified\/c1: permission denied \(/)
  t.match(describeFailure(plan, eacces, () => 'Permission denied'), /^clone3: permission denied$/, 'without a cgroup to enter, clone3 as before')
  t.match(describeFailure(into, { ...eacces, errno: 1 }, () => 'Operation not permitted'), /^clone3: operation not permitted$/, 'another errno: clone3 as before')
})

t.test('a step number the plan does not hold still gets one line naming the phase, not a TypeError', async t => {
  // The plan above has one mount step, one post-pivot step and one sysctl: step 5 is none of them.
  for (const phase of [InitPhase.MountStep, InitPhase.PostPivotStep, InitPhase.Sysctl]) {
    let line = ''
    t.doesNotThrow(() => { line = describe(phase, 5) }, `phase ${phase}, step 5`)
    t.match(line, /: operation not permitted$/, `phase ${phase}: the phase's text and the reason`)
    t.equal(line.split('\n').length, 1)
  }
})
