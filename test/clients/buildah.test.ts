// buildah (1.28) building an image with `buildah bud --isolation oci
// --runtime RUNTIME`: every RUN step is a container the runtime creates,
// starts and deletes (`create --bundle B --pid-file F ID`, `start ID`,
// `state ID`, `delete ID`, no --root). The Containerfile uses what a build
// relies on: ENV, WORKDIR, COPY, USER, and `RUN --mount=type=tmpfs`.
// CLIENT_RUNTIME picks the runtime (default dist/ocirt; /usr/sbin/runc to
// prove the tests against runc).
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Buildah, IMAGE } from './lib/buildah.js'
import { CLIENT_RUNTIME, clientAvailable, clientImage, mustSucceed, runtimeVersion } from './lib/common.js'

const unavailable = clientAvailable('buildah')
if (unavailable !== false) {
  t.plan(0, `skip: ${unavailable}`)
} else {
  t.comment(`runtime: ${CLIENT_RUNTIME} (${runtimeVersion()})`)
  let bh: Buildah

  t.before(async () => { bh = await Buildah.start(clientImage()) })
  t.teardown(async () => { await bh?.stop() })

  /** A build context: a Containerfile and an input file for COPY. */
  const context = (containerfile: string[]): string => {
    const dir = mkdtempSync(join(bh.base, 'context-'))
    writeFileSync(join(dir, 'Containerfile'), containerfile.join('\n') + '\n')
    writeFileSync(join(dir, 'input.txt'), 'copied-in\n')
    return dir
  }

  const built = 'localhost/ocirt-built:latest'

  t.test('bud: RUN steps see ENV, WORKDIR, COPY, USER, and a RUN --mount=type=tmpfs', async t => {
    const r = await bh.bud(context([
      `FROM ${IMAGE}`,
      'ENV GREETING="hello from env"',
      'WORKDIR /work',
      'COPY input.txt /work/input.txt',
      'RUN echo "env: $GREETING"; echo "cwd: $(pwd)"; echo "copy: $(cat input.txt)"; echo built > /work/built.txt',
      'USER 1000',
      'RUN echo "user: $(id)"',
      'RUN --mount=type=tmpfs,target=/scratch grep " /scratch " /proc/mounts | cut -d" " -f3 | sed "s/^/mount: /"; echo in-tmpfs > /scratch/x && echo "tmpfs: $(cat /scratch/x)"',
    ]), built)
    t.equal(r.code, 0, 'the build succeeds', { stderr: r.stderr })
    t.match(r.stdout, /^env: hello from env$/m, 'ENV reaches RUN')
    t.match(r.stdout, /^cwd: \/work$/m, 'WORKDIR is the working directory')
    t.match(r.stdout, /^copy: copied-in$/m, 'the COPYed file is there')
    t.match(r.stdout, /^user: uid=1000\(user\) gid=1000\(user\)/m, 'USER: the step runs as uid 1000')
    t.match(r.stdout, /^mount: tmpfs$/m, 'RUN --mount=type=tmpfs mounts a tmpfs')
    t.match(r.stdout, /^tmpfs: in-tmpfs$/m, 'which the step (uid 1000) can write')
  })

  t.test('the built image: the layers hold what RUN wrote, not what went to the tmpfs; buildah run uses the runtime too', async t => {
    const container = await bh.from(built)
    const r = await bh.buildah(['run', ...bh.runFlags, container, '--', 'sh', '-c', 'cat /work/built.txt; ls /scratch 2>/dev/null | wc -l; echo "$GREETING"; id -u; pwd'])
    t.equal(r.stdout, 'built\n0\nhello from env\n1000\n/work\n', 'built.txt is in the image, /scratch is empty, ENV, USER and WORKDIR are its config', { stderr: r.stderr })
    mustSucceed(await bh.buildah(['rm', container]))
  })

  t.test('a failing RUN step fails the build with its exit status', async t => {
    const r = await bh.bud(context([`FROM ${IMAGE}`, 'RUN echo before; exit 3', 'RUN echo never']), 'localhost/ocirt-failed:latest')
    t.not(r.code, 0, 'buildah bud fails')
    t.match(r.stderr, /exit status 3/, 'naming the step\'s exit status', { stderr: r.stderr })
    t.notMatch(r.stdout, /never/, 'no later step runs')
  })

  t.test('nothing is left: no working container, runtime state, process, mount or cgroup', async t => {
    const problems = await bh.stop()
    t.same(problems, [], 'teardown found nothing left behind')
  })
}
