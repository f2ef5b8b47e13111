/**
 * Host-side cgroup lookups: which cgroup dirs a container process is in, and
 * where a runtime may have left a container's cgroup behind.
 */
import { existsSync, readFileSync, rmdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

interface CgroupMount { point: string, fstype: string, opts: string[] }

function cgroupMountTable (): CgroupMount[] {
  const out: CgroupMount[] = []
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (line === '') continue
    const [pre = '', post = ''] = line.split(' - ')
    const [fstype, , opts = ''] = post.split(' ')
    // proc(5) mountinfo: the mount point is field 5.
    const point = pre.split(' ')[4]
    if (point !== undefined && (fstype === 'cgroup' || fstype === 'cgroup2')) out.push({ point, fstype, opts: opts.split(',') })
  }
  return out
}

/** Mount points of every cgroup (v1) and cgroup2 hierarchy in our mount namespace. */
export function cgroupMounts (): string[] {
  return cgroupMountTable().map(m => m.point)
}

/** Existing cgroup dirs for a cgroup path (relative to each hierarchy root). */
export function cgroupDirsFor (cgroupPath: string): string[] {
  return cgroupMounts().map(m => join(m, cgroupPath)).filter(d => existsSync(d))
}

/** `/proc/<pid>/cgroup` as a map "hierarchy-id:controllers" → path. */
function procCgroups (pid: number | 'self'): Map<string, string> {
  const m = new Map<string, string>()
  for (const l of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean)) {
    const parts = l.split(':')
    m.set(`${parts[0]}:${parts[1]}`, parts.slice(2).join(':'))
  }
  return m
}

function mountFor (key: string, mounts: CgroupMount[]): string | undefined {
  const [hid, ctrls = ''] = key.split(':')
  if (hid === '0' && ctrls === '') return mounts.find(m => m.fstype === 'cgroup2')?.point
  const names = ctrls.split(',')
  return mounts.find(m => m.fstype === 'cgroup' && names.every(n => m.opts.includes(n)))?.point
}

/** Host paths of the cgroup dirs `pid` is in. */
export function cgroupDirsOf (pid: number | 'self'): string[] {
  const mounts = cgroupMountTable()
  const dirs: string[] = []
  for (const [key, path] of procCgroups(pid)) {
    const mount = mountFor(key, mounts)
    if (mount !== undefined) dirs.push(join(mount, path))
  }
  return dirs
}

/**
 * Host-side cgroup dirs a process is in that this test process is not in,
 * i.e. the cgroups the runtime created for the container.
 */
export function containerCgroupDirs (pid: number): string[] {
  const mine = procCgroups('self')
  const mounts = cgroupMountTable()
  const dirs: string[] = []
  for (const [key, path] of procCgroups(pid)) {
    if (mine.get(key) === path) continue
    const mount = mountFor(key, mounts)
    if (mount !== undefined) dirs.push(join(mount, path))
  }
  return dirs
}

/**
 * The one cgroup under which the test bundles put their containers (each
 * bundle's cgroupsPath is TEST_CGROUP_PARENT/bundle-<random>): tests create
 * cgroups only under a parent they own, and remove it when it is empty.
 */
export const TEST_CGROUP_PARENT = '/ocirt-tests'

/**
 * rmdir the cgroup dirs named by `relPaths` under every hierarchy root and
 * under our own cgroup in each hierarchy (where runtimes put relative
 * paths), deepest first. rmdir fails on a cgroup that still has processes or
 * children, so this can only ever remove empty leftovers. Returns what it removed.
 */
export function removeLeftoverCgroups (relPaths: Iterable<string>): string[] {
  const bases = new Set([...cgroupMounts(), ...cgroupDirsOf('self')])
  const removed: string[] = []
  for (const rel of relPaths) {
    if (rel === '' || rel === '/' || rel.split('/').includes('..')) continue
    for (const base of bases) {
      const dir = join(base, rel)
      if (!existsSync(dir)) continue
      for (const d of [...subdirs(dir), dir]) {
        try { rmdirSync(d); removed.push(d) } catch {}
      }
    }
  }
  // The shared parent goes once no test uses it (rmdir fails while it has children).
  for (const base of cgroupMounts()) {
    try { rmdirSync(join(base, TEST_CGROUP_PARENT)) } catch {}
  }
  return removed
}

/** Subdirectories of dir, deepest first. */
function subdirs (dir: string): string[] {
  const out: string[] = []
  try {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e)
      try { if (statSync(p).isDirectory()) out.push(...subdirs(p), p) } catch {}
    }
  } catch {}
  return out
}
