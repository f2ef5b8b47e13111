/** update's flags. */
import type { Flag } from './types.js'
import { help } from './flags.js'

/** update's flags of one value kind: NAME BYTES or NAME N. */
function valueFlags<const Name extends string> (valueName: string, suffix: string, defs: ReadonlyArray<readonly [Name, string]>) {
  return defs.map(([name, description]) => ({ name, type: 'string', valueName, description: `${description}${suffix}` }) as const satisfies Flag)
}

export function updateFlags () {
  return [
    { name: 'resources', short: 'r', type: 'string', valueName: 'FILE', description: 'a linux.resources JSON document (- for stdin)' },
    ...valueFlags('BYTES', ', e.g. 512m', [['memory', 'memory limit'], ['memory-reservation', 'memory soft limit'], ['memory-swap', 'memory+swap limit (-1: unlimited)'],
      ['kernel-memory', 'kernel memory limit (obsolete)'], ['kernel-memory-tcp', 'kernel TCP buffer limit (obsolete)']]),
    ...valueFlags('N', '', [['cpu-share', 'CPU shares (relative weight)'], ['cpu-period', 'CPU CFS period in µs'], ['cpu-quota', 'CPU CFS quota in µs per period'],
      ['cpu-rt-period', 'CPU realtime period in µs'], ['cpu-rt-runtime', 'CPU realtime runtime in µs per period'], ['cpu-idle', '1: SCHED_IDLE for the cgroup, 0: default'],
      ['pids-limit', 'maximum number of pids (-1: no limit)'], ['blkio-weight', 'block IO weight, 10 to 1000']]),
    { name: 'cpuset-cpus', type: 'string', valueName: 'LIST', description: 'CPUs to use, e.g. 0-3,7' },
    { name: 'cpuset-mems', type: 'string', valueName: 'LIST', description: 'memory nodes to use, e.g. 0-1' },
    help] as const satisfies readonly Flag[]
}
