// The tmpcopyup mount option (config.md "Mounts": MAY), which podman puts on
// the tmpfs mounts of `podman run --read-only` (/run, /tmp, /var/tmp): the
// tmpfs starts with a copy of what the directory under it held. Found by
// test/clients/podman.test.ts: ocirt passed the option to mount(2), which
// refused it (EINVAL), so `podman run --read-only` failed.
import t from 'tap'
import { chownSync, chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ocirt } from './lib/ocirt.js'

t.test('a tmpfs with tmpcopyup holds a copy of the directory it covers, modes and owners kept, writable on a read-only root', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.root!.readonly = true
    spec.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'tmpcopyup'] })
    spec.process!.args = ['sh', '-c', [
      'grep " /data " /proc/mounts | cut -d" " -f3',
      'cat /data/top /data/sub/deep/file',
      'readlink /data/link',
      'stat -c "%a %u:%g %n" /data /data/sub /data/sub/deep/file',
      'touch /data/new && echo writable',
      'touch /elsewhere 2>/dev/null || echo root-read-only',
    ].join('; ')]
  })
  const data = join(bundle.rootfs, 'data')
  mkdirSync(join(data, 'sub', 'deep'), { recursive: true })
  writeFileSync(join(data, 'top'), 'top\n')
  writeFileSync(join(data, 'sub', 'deep', 'file'), 'deep\n')
  symlinkSync('sub/deep/file', join(data, 'link'))
  chmodSync(data, 0o1777)
  chmodSync(join(data, 'sub'), 0o705)
  chownSync(join(data, 'sub'), 1000, 1000)
  chmodSync(join(data, 'sub', 'deep', 'file'), 0o604)
  chownSync(join(data, 'sub', 'deep', 'file'), 65534, 65534)

  const r = await rt.run(['run', '--bundle', bundle.dir, id])
  t.equal(r.code, 0, 'runs', { stderr: r.stderr })
  t.equal(r.stdout, [
    'tmpfs',
    'top', 'deep',
    'sub/deep/file',
    '1777 0:0 /data', '705 1000:1000 /data/sub', '604 65534:65534 /data/sub/deep/file',
    'writable',
    'root-read-only',
  ].join('\n') + '\n', 'the copy, with modes, owners and the symlink; the tmpfs is writable', { stderr: r.stderr })
})

t.test('tmpcopyup on a mount that is not a tmpfs is refused, naming the option', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.mounts!.push({ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind', 'tmpcopyup'] })
  })
  const r = await rt.run(['create', '--bundle', bundle.dir, id])
  t.not(r.code, 0, 'create fails')
  t.match(r.stderr, /\/mounts\/\d+\/options.*tmpcopyup/, 'the error names the option')
})
