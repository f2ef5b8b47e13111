/**
 * linux.resources → the cgroup files to write, for v1 and for v2
 * (config-linux.md "Control groups"; the file names and unit conversions are
 * the kernel's, and where the spec leaves a choice, runc's).
 *
 * Pure: each write names the config JSON path it came from, so a value the
 * kernel refuses is reported against the field that asked for it.
 */
import { ConfigError } from '../../errors.js'
import type { LinuxBlockIO, LinuxCPU, LinuxMemory, LinuxResources, LinuxThrottleDevice } from '../../spec/types.js'

export interface CgroupWrite {
  /** Controller that owns the file ("memory", "cpu", ...): selects the v1 hierarchy, or must be enabled on v2. */
  controller: string
  file: string
  value: string
  /** JSON pointer of the field, e.g. /linux/resources/memory/limit. */
  pointer: string
  /** A write that only follows from another field (runc's implied swap limit): skipped where the kernel has no such file. */
  optional?: true
}

const AT = '/linux/resources'

/** -1 (or any negative) means no limit: v1 takes "-1", v2 "max". */
const v1Limit = (n: number): string => n < 0 ? '-1' : String(n)
const v2Limit = (n: number): string => n < 0 ? 'max' : String(n)

/**
 * runc 1.1.5 reads linux.resources into Go structs where a zero number or an
 * empty string means "not set" (libcontainer/specconv copies them, and
 * cgroups/fs/*.go and fs2/*.go skip them), and Docker relies on it: every
 * `docker run` sends cpu.shares 0 and blockIO.weight 0, and `docker update`
 * sends 0 (and "" for the cpusets) for each field it is not changing. These
 * fields are dropped here, before anything is written or merged into the
 * stored config. pids.limit 0 is one of them, although the spec calls 0 a
 * limit (conformance/deviations.md).
 */
export function withoutUnsetZeros (r: LinuxResources): LinuxResources {
  const out: LinuxResources = { ...r }
  const drop = <T extends object>(section: T, keys: Array<keyof T>): T => {
    const copy = { ...section }
    for (const k of keys) if (copy[k] === 0 || copy[k] === '') delete copy[k]
    return copy
  }
  if (r.memory !== undefined) out.memory = drop(r.memory, ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'])
  if (r.cpu !== undefined) out.cpu = drop(r.cpu, ['shares', 'quota', 'period', 'realtimePeriod', 'realtimeRuntime', 'cpus', 'mems'])
  if (r.pids !== undefined) out.pids = drop(r.pids, ['limit'])
  if (r.blockIO !== undefined) {
    const blockIO = drop(r.blockIO, ['weight', 'leafWeight'])
    // Entries keep their places: a refused write names the entry's index in the config.
    if (r.blockIO.weightDevice !== undefined) blockIO.weightDevice = r.blockIO.weightDevice.map(d => drop(d, ['weight', 'leafWeight']))
    out.blockIO = blockIO
  }
  if (r.network !== undefined) out.network = drop(r.network, ['classID'])
  // A section left empty asks for nothing (`docker update --cpus 2` sends a memory section of zeros).
  for (const k of ['memory', 'cpu', 'pids', 'blockIO', 'network'] as const) if (out[k] === undefined || Object.keys(out[k]!).length === 0) delete out[k]
  return out
}

export function resourceWrites (version: 1 | 2, given: LinuxResources, source = 'config.json'): { writes: CgroupWrite[], warnings: string[] } {
  const r = withoutUnsetZeros(given)
  const out: CgroupWrite[] = []
  const warnings: string[] = []
  const add = (controller: string, file: string, value: string | number, pointer: string, optional?: true): void => {
    out.push({ controller, file, value: String(value), pointer: `${AT}/${pointer}`, ...(optional === true ? { optional } : {}) })
  }
  const refuse = (pointer: string, why: string): never => { throw new ConfigError(source, `${AT}/${pointer}`, why) }
  if (r.memory !== undefined) (version === 1 ? memoryV1 : memoryV2)(r.memory, add, refuse, warnings)
  if (r.cpu !== undefined) (version === 1 ? cpuV1 : cpuV2)(r.cpu, add, refuse)
  if (r.pids?.limit !== undefined) {
    add('pids', 'pids.max', v2Limit(r.pids.limit), 'pids/limit')
  }
  if (r.blockIO !== undefined) (version === 1 ? blockIOV1 : blockIOV2)(r.blockIO, add)
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const size = hugepageSizeName(h.pageSize)
    if (size === null) refuse(`hugepageLimits/${i}/pageSize`, `"${h.pageSize}" is not a page size like 2MB or 1GB`)
    add('hugetlb', version === 1 ? `hugetlb.${size}.limit_in_bytes` : `hugetlb.${size}.max`, version === 1 ? v1Limit(h.limit) : v2Limit(h.limit), `hugepageLimits/${i}/limit`)
  }
  if (r.network !== undefined) {
    if (version === 2) refuse('network', 'cgroup v2 has no net_cls or net_prio controller')
    if (r.network.classID !== undefined) add('net_cls', 'net_cls.classid', r.network.classID, 'network/classID')
    for (const [i, p] of (r.network.priorities ?? []).entries()) add('net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`, `network/priorities/${i}`)
  }
  for (const [device, limits] of Object.entries(r.rdma ?? {})) {
    const parts = [`hca_handle=${limits.hcaHandles ?? 'max'}`, `hca_object=${limits.hcaObjects ?? 'max'}`]
    add('rdma', 'rdma.max', `${device} ${parts.join(' ')}`, `rdma/${escapePointer(device)}`)
  }
  if (r.unified !== undefined) {
    if (version === 1) refuse('unified', 'unified sets cgroup v2 files, and this host uses cgroup v1')
    for (const [file, value] of Object.entries(r.unified)) {
      // A file of the container's own cgroup, never a path out of it.
      if (!/^[a-z_]+\.[a-z0-9_.]+$/.test(file) || file.startsWith('cgroup.')) refuse(`unified/${escapePointer(file)}`, `"${file}" is not a controller's interface file`)
      add(file.slice(0, file.indexOf('.')), file, value, `unified/${escapePointer(file)}`)
    }
  }
  return { writes: out, warnings }
}

type Add = (controller: string, file: string, value: string | number, pointer: string, optional?: true) => void
type Refuse = (pointer: string, why: string) => never

/** runc warns the same way, and writes neither (kernel memory limits are deprecated in Linux 5.4 and gone in 6.1). */
const KERNEL_MEMORY_IGNORED = 'linux.resources.memory.kernel and kernelTCP are ignored, as runc ignores them: the kernel accounts kernel memory in the memory limit'

function memoryV1 (m: LinuxMemory, add: Add, _refuse: Refuse, warnings: string[]): void {
  // The kernel keeps memsw >= memory: a lift of the limit goes after a lift
  // of memsw (applyWrites retries the refused one), and an unlimited memory
  // limit with no swap limit given lifts memsw too, as runc's
  // setMemoryAndSwap does (where the kernel has memsw at all).
  if (m.limit !== undefined) add('memory', 'memory.limit_in_bytes', v1Limit(m.limit), 'memory/limit')
  if (m.swap !== undefined) add('memory', 'memory.memsw.limit_in_bytes', v1Limit(m.swap), 'memory/swap')
  else if (m.limit !== undefined && m.limit < 0) add('memory', 'memory.memsw.limit_in_bytes', '-1', 'memory/limit', true)
  if (m.reservation !== undefined) add('memory', 'memory.soft_limit_in_bytes', v1Limit(m.reservation), 'memory/reservation')
  if (m.kernel !== undefined || m.kernelTCP !== undefined) warnings.push(KERNEL_MEMORY_IGNORED)
  if (m.swappiness !== undefined) add('memory', 'memory.swappiness', m.swappiness, 'memory/swappiness')
  if (m.disableOOMKiller === true) add('memory', 'memory.oom_control', 1, 'memory/disableOOMKiller')
  if (m.useHierarchy !== undefined) add('memory', 'memory.use_hierarchy', m.useHierarchy ? 1 : 0, 'memory/useHierarchy')
}

function memoryV2 (m: LinuxMemory, add: Add, refuse: Refuse, warnings: string[]): void {
  if (m.limit !== undefined) add('memory', 'memory.max', v2Limit(m.limit), 'memory/limit')
  if (m.swap !== undefined) {
    // The spec's swap is memory+swap (v1's memsw); v2's memory.swap.max is swap alone.
    let swap: string
    if (m.swap < 0) swap = 'max'
    else if (m.limit === undefined || m.limit < 0) refuse('memory/swap', 'on cgroup v2 a swap limit needs a memory limit (swap is memory+swap)')
    else if (m.swap < m.limit) refuse('memory/swap', `memory+swap (${m.swap}) must be at least the memory limit (${m.limit})`)
    else swap = String(m.swap - m.limit)
    add('memory', 'memory.swap.max', swap!, 'memory/swap')
  } else if (m.limit !== undefined && m.limit < 0) {
    // runc (ConvertMemorySwapToCgroupV2Value): an unlimited memory limit with no swap limit given is unlimited swap too.
    add('memory', 'memory.swap.max', 'max', 'memory/limit', true)
  }
  if (m.reservation !== undefined) add('memory', 'memory.low', v2Limit(m.reservation), 'memory/reservation')
  if (m.kernel !== undefined || m.kernelTCP !== undefined) warnings.push(KERNEL_MEMORY_IGNORED)
  if (m.swappiness !== undefined) refuse('memory/swappiness', 'cgroup v2 has no per-cgroup swappiness')
  if (m.disableOOMKiller === true) refuse('memory/disableOOMKiller', 'cgroup v2 cannot disable the OOM killer for a cgroup')
  // useHierarchy: v2 is always hierarchical.
}

function cpuV1 (c: LinuxCPU, add: Add): void {
  if (c.shares !== undefined) add('cpu', 'cpu.shares', c.shares, 'cpu/shares')
  // Period before quota and runtime: the kernel checks each against the other (a refusal is retried after the rest).
  if (c.period !== undefined) add('cpu', 'cpu.cfs_period_us', c.period, 'cpu/period')
  if (c.quota !== undefined) add('cpu', 'cpu.cfs_quota_us', c.quota, 'cpu/quota')
  if (c.burst !== undefined) add('cpu', 'cpu.cfs_burst_us', c.burst, 'cpu/burst')
  if (c.realtimePeriod !== undefined) add('cpu', 'cpu.rt_period_us', c.realtimePeriod, 'cpu/realtimePeriod')
  if (c.realtimeRuntime !== undefined) add('cpu', 'cpu.rt_runtime_us', c.realtimeRuntime, 'cpu/realtimeRuntime')
  if (c.idle !== undefined) add('cpu', 'cpu.idle', c.idle, 'cpu/idle')
  if (c.cpus !== undefined) add('cpuset', 'cpuset.cpus', c.cpus, 'cpu/cpus')
  if (c.mems !== undefined) add('cpuset', 'cpuset.mems', c.mems, 'cpu/mems')
}

/** cpu.shares (2..262144) → cpu.weight (1..10000), the conversion runc and crun share. */
export function sharesToWeight (shares: number): number {
  if (shares === 0) return 0
  return Math.floor(1 + ((shares - 2) * 9999) / 262142)
}

function cpuV2 (c: LinuxCPU, add: Add, refuse: Refuse): void {
  if (c.shares !== undefined && c.shares !== 0) add('cpu', 'cpu.weight', sharesToWeight(c.shares), 'cpu/shares')
  if (c.quota !== undefined || c.period !== undefined) {
    const quota = c.quota === undefined || c.quota < 0 ? 'max' : String(c.quota)
    // The kernel keeps the period when only the quota is given as "$MAX" alone.
    add('cpu', 'cpu.max', c.period === undefined ? quota : `${quota} ${c.period}`, c.quota !== undefined ? 'cpu/quota' : 'cpu/period')
  }
  if (c.burst !== undefined) add('cpu', 'cpu.max.burst', c.burst, 'cpu/burst')
  if (c.realtimePeriod !== undefined || c.realtimeRuntime !== undefined) refuse(c.realtimeRuntime !== undefined ? 'cpu/realtimeRuntime' : 'cpu/realtimePeriod', 'cgroup v2 has no realtime CPU bandwidth control')
  if (c.idle !== undefined) add('cpu', 'cpu.idle', c.idle, 'cpu/idle')
  if (c.cpus !== undefined) add('cpuset', 'cpuset.cpus', c.cpus, 'cpu/cpus')
  if (c.mems !== undefined) add('cpuset', 'cpuset.mems', c.mems, 'cpu/mems')
}

const THROTTLES = [
  ['throttleReadBpsDevice', 'read_bps_device', 'rbps'],
  ['throttleWriteBpsDevice', 'write_bps_device', 'wbps'],
  ['throttleReadIOPSDevice', 'read_iops_device', 'riops'],
  ['throttleWriteIOPSDevice', 'write_iops_device', 'wiops'],
] as const

function blockIOV1 (b: LinuxBlockIO, add: Add): void {
  // blkio.weight is CFQ's; kernels without CFQ have only BFQ's blkio.bfq.weight (picked when writing).
  if (b.weight !== undefined) add('blkio', 'blkio.weight', b.weight, 'blockIO/weight')
  if (b.leafWeight !== undefined) add('blkio', 'blkio.leaf_weight', b.leafWeight, 'blockIO/leafWeight')
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    if (d.weight !== undefined) add('blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`, `blockIO/weightDevice/${i}/weight`)
    if (d.leafWeight !== undefined) add('blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`, `blockIO/weightDevice/${i}/leafWeight`)
  }
  for (const [key, file] of THROTTLES) {
    for (const [i, d] of ((b[key] ?? []) as LinuxThrottleDevice[]).entries()) add('blkio', `blkio.throttle.${file}`, `${d.major}:${d.minor} ${d.rate}`, `blockIO/${key}/${i}`)
  }
}

/** blkio weight (10..1000) → io.weight (1..10000), as runc. */
export function blkioWeightToIOWeight (w: number): number {
  return Math.floor(1 + ((w - 10) * 9999) / 990)
}

function blockIOV2 (b: LinuxBlockIO, add: Add): void {
  if (b.weight !== undefined) add('io', 'io.weight', `default ${blkioWeightToIOWeight(b.weight)}`, 'blockIO/weight')
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    if (d.weight !== undefined) add('io', 'io.weight', `${d.major}:${d.minor} ${blkioWeightToIOWeight(d.weight)}`, `blockIO/weightDevice/${i}/weight`)
  }
  for (const [key, , v2key] of THROTTLES) {
    for (const [i, d] of ((b[key] ?? []) as LinuxThrottleDevice[]).entries()) add('io', 'io.max', `${d.major}:${d.minor} ${v2key}=${d.rate === 0 ? 'max' : d.rate}`, `blockIO/${key}/${i}`)
  }
}

/** "2MB" → "2MB", "1GB" → "1GB", "64KB" → "64KB": the kernel's hugetlb file names (units are powers of 1024). */
function hugepageSizeName (pageSize: string): string | null {
  const [, digits, unit] = /^(\d+)(KB|MB|GB)$/i.exec(pageSize.trim()) ?? []
  return digits === undefined || unit === undefined ? null : `${Number(digits)}${unit.toUpperCase()}`
}

function escapePointer (s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1')
}
