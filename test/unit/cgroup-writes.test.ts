// How the cgroupfs manager writes a limit (src/linux/cgroups/manager.ts,
// writeCgroupFile; issue 11): open O_WRONLY|O_NOFOLLOW, one write, close.
// A file the kernel does not have (ENOENT on open) is refused with the words
// missingFileReason gives, or skipped when the write is optional, and is
// never created; a symlink in its place is not followed. Run on a
// directory of regular files standing in for a cgroup: no root needed.
import t, { type Test } from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { V1Manager } from '../../src/linux/cgroups/v1.js'
import type { ContainerCgroup } from '../../src/linux/cgroups/manager.js'
import { writeCgroupFile } from '../../src/linux/cgroups/manager.js'
import type { CgroupWrite } from '../../src/linux/cgroups/resources.js'

function cgroupDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'ocirt-cgroup-writes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const pidsLimit: CgroupWrite = { controller: 'pids', file: 'pids.max', value: '10', pointer: '/linux/resources/pids/limit' }
const cgroupIn = (dir: string): ContainerCgroup => ({ version: 1, path: '/c', dirs: { pids: dir }, created: [] })

t.test('a write goes to the existing file', async t => {
  const dir = cgroupDir(t)
  writeFileSync(join(dir, 'pids.max'), '')
  new V1Manager([]).applyWrites(cgroupIn(dir), [pidsLimit])
  t.equal(readFileSync(join(dir, 'pids.max'), 'utf8'), '10')
})

t.test('a file the kernel does not have is refused with the config path, and not created', async t => {
  const dir = cgroupDir(t)
  t.throws(() => new V1Manager([]).applyWrites(cgroupIn(dir), [pidsLimit]),
    { message: 'config.json: /linux/resources/pids/limit: this kernel has no pids.max in the pids controller' })
  t.notOk(existsSync(join(dir, 'pids.max')))
})

t.test('an optional write of a missing file is skipped, and creates nothing', async t => {
  const dir = cgroupDir(t)
  new V1Manager([]).applyWrites(cgroupIn(dir), [{ ...pidsLimit, optional: true }])
  t.notOk(existsSync(join(dir, 'pids.max')))
})

t.test('a symlink in place of the file is not followed', async t => {
  const dir = cgroupDir(t)
  writeFileSync(join(dir, 'elsewhere'), '')
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'pids.max'))
  t.throws(() => writeCgroupFile(join(dir, 'pids.max'), '10'), { code: 'ELOOP' })
  t.equal(readFileSync(join(dir, 'elsewhere'), 'utf8'), '')
})

t.test('an empty value opens the file and writes nothing', async t => {
  const dir = cgroupDir(t)
  writeFileSync(join(dir, 'cpuset.cpus'), '0-1')
  writeCgroupFile(join(dir, 'cpuset.cpus'), '')
  t.equal(readFileSync(join(dir, 'cpuset.cpus'), 'utf8'), '0-1')
  t.throws(() => writeCgroupFile(join(dir, 'cpuset.mems'), ''), { code: 'ENOENT' })
})
