/**
 * config.md "Linux Process" scheduler, ioPriority, execCPUAffinity and
 * config-linux.md "Personality" → what the init applies just before exec
 * (native/identity.cc ApplyProcessAttributes) and, for execCPUAffinity.initial,
 * what the runtime applies to the new process at once.
 */
import { ConfigError } from '../errors.js'
import type { ProcessPlan } from '../native.js'
import type { IOPriorityClass, LinuxPersonality, LinuxSchedulerFlag, LinuxSchedulerPolicy, Process } from '../spec/types.js'

/** include/uapi/linux/personality.h */
const PERSONALITY_DOMAINS: Readonly<Record<LinuxPersonality['domain'], number>> = { LINUX: 0x0000, LINUX32: 0x0008 }

/** include/uapi/linux/sched.h */
const SCHEDULER_POLICIES: Readonly<Record<LinuxSchedulerPolicy, number>> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
}
const SCHEDULER_FLAGS: Readonly<Record<LinuxSchedulerFlag, number>> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
}

/** include/uapi/linux/ioprio.h: the class in the bits above IOPRIO_CLASS_SHIFT (13). */
const IO_PRIORITY_CLASSES: Readonly<Record<IOPriorityClass, number>> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 }
const IOPRIO_CLASS_SHIFT = 13

/** cpu_set_t holds CPU_SETSIZE (1024) CPUs. */
const CPU_SETSIZE = 1024

/**
 * A CPU list ("0-3,7", with the kernel's "N-M:used/group" strides) → CPU
 * numbers. The format was checked by spec/semantic.ts; this only refuses what
 * cpu_set_t cannot hold.
 */
export function parseCpuList (list: string, file: string, pointer: string): number[] {
  const cpus: number[] = []
  for (const item of list.split(',').map(i => i.trim()).filter(i => i !== '')) {
    // split() yields at least one element, and semantic.ts has checked that a stride has both numbers.
    const [range = item, stride] = item.split(':')
    const [first = 0, last = first] = range.split('-').map(Number)
    const [used = 1, group = 1] = stride === undefined ? [] : stride.split('/').map(Number)
    if (last >= CPU_SETSIZE) throw new ConfigError(file, pointer, `CPU ${last} is beyond the ${CPU_SETSIZE} CPUs a cpu_set_t holds`)
    for (let cpu = first; cpu <= last; cpu++) if ((cpu - first) % group < used) cpus.push(cpu)
  }
  return cpus
}

export type ProcessAttributes = Pick<ProcessPlan, 'personality' | 'scheduler' | 'ioPriority' | 'initialCpus' | 'finalCpus'>

/**
 * `at` is the process object's JSON pointer in `file` ("/process" in
 * config.json, "" in exec's process.json). execCPUAffinity is for exec only
 * (config.md: "not applicable to the container's init process"; semantic.ts
 * warns when config.json has it).
 */
export function planProcessAttributes (process: Process, personality: LinuxPersonality | undefined, file: string, at: string, forExec: boolean): ProcessAttributes {
  const planned: ProcessAttributes = {}
  if (personality !== undefined) planned.personality = PERSONALITY_DOMAINS[personality.domain]
  const scheduler = process.scheduler
  if (scheduler !== undefined) {
    planned.scheduler = {
      policy: SCHEDULER_POLICIES[scheduler.policy],
      flags: (scheduler.flags ?? []).reduce((all, f) => all | SCHEDULER_FLAGS[f], 0),
      nice: scheduler.nice ?? 0,
      priority: scheduler.priority ?? 0,
      runtime: BigInt(scheduler.runtime ?? 0),
      deadline: BigInt(scheduler.deadline ?? 0),
      period: BigInt(scheduler.period ?? 0),
    }
  }
  if (process.ioPriority !== undefined) {
    planned.ioPriority = (IO_PRIORITY_CLASSES[process.ioPriority.class] << IOPRIO_CLASS_SHIFT) | process.ioPriority.priority
  }
  const affinity = process.execCPUAffinity
  if (forExec && affinity !== undefined) {
    // config.md: an omitted or empty list leaves the affinity alone.
    if ((affinity.initial ?? '').trim() !== '') planned.initialCpus = parseCpuList(affinity.initial as string, file, `${at}/execCPUAffinity/initial`)
    if ((affinity.final ?? '').trim() !== '') planned.finalCpus = parseCpuList(affinity.final as string, file, `${at}/execCPUAffinity/final`)
  }
  return planned
}
