/**
 * config.md clauses a black-box test can observe from inside the container.
 * Containers run in the foreground (`run`); their stdout is the observable.
 */
import t from 'tap'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expectDeviation, setup, type TapLike } from './lib/harness.js'
import { NOBODY, type OciSpec, type Bundle } from './lib/bundle.js'
import { type RunResult } from './lib/runtime.js'

/** `run` a container with `sh -c script` (after `configure`); returns the result. */
async function runScript (t: TapLike, script: string, configure?: (spec: OciSpec) => void, prepare?: (b: Bundle) => void): Promise<RunResult> {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.process!.args = ['sh', '-c', script]
    configure?.(spec)
  }, {})
  prepare?.(bundle)
  return await rt.runContainer(id, bundle.dir)
}

/** runScript, asserting exit 0; returns stdout. */
async function output (t: TapLike, script: string, configure?: (spec: OciSpec) => void, prepare?: (b: Bundle) => void): Promise<string> {
  const r = await runScript(t, script, configure, prepare)
  t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
  return r.stdout
}

/** "Name: value" lines of /proc/self/status as printed by the container. */
function statusFields (text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const i = line.indexOf(':')
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim()
  }
  return out
}

t.test('config.md#configHostname: hostname is "the container\'s hostname as seen by processes running inside the container"', async t => {
  t.equal(await output(t, 'hostname; cat /proc/sys/kernel/hostname', spec => { spec.hostname = 'conformance-host' }), 'conformance-host\nconformance-host\n')
})

t.test('config.md#configDomainname: domainname is the container\'s domainname in its UTS namespace', async t0 => {
  const t = expectDeviation(t0, 'domainname-ignored')
  const r = await runScript(t, 'cat /proc/sys/kernel/domainname', spec => { spec.domainname = 'conformance.example' })
  t.equal(r.code, 0, 'the container exits 0', { stderr: r.stderr })
  t.equal(r.stdout, 'conformance.example\n', 'the domainname is set')
})

t.test('config.md#configProcess: env "with the same semantics as IEEE Std 1003.1-2008\'s environ"', async t => {
  process.env.OCIRT_CONFORMANCE_HOST_ONLY = 'leaked'
  t.teardown(() => { delete process.env.OCIRT_CONFORMANCE_HOST_ONLY })
  const env = ['PATH=/bin', 'FOO=bar baz', 'EMPTY=', 'EQ=a=b=c', 'UNICODE=ü→✓']
  const out = await output(t, 'env', spec => { spec.process!.env = env })
  const lines = out.split('\n').filter(Boolean)
  for (const e of env) t.ok(lines.includes(e), `${e} is in the environment`, { env: lines })
  t.notOk(lines.some(l => l.startsWith('OCIRT_CONFORMANCE_HOST_ONLY=')), 'the runtime\'s own environment does not leak in')
  t.notOk(lines.some(l => l.startsWith('TERM=')), 'the template\'s TERM (not in this env) is absent')
})

t.test('config.md#configProcess: cwd "is the working directory that will be set for the executable"', async t => {
  t.equal(await output(t, 'pwd', spec => { spec.process!.cwd = '/etc' }), '/etc\n')
})

t.test('config.md#configPOSIXUser: uid, gid and additionalGids set the process identity', async t => {
  const out = await output(t, 'id -u; id -g; id -G; grep -E "^(Uid|Gid|Groups):" /proc/self/status', spec => {
    spec.process!.user = { uid: NOBODY, gid: NOBODY, additionalGids: [5, 100] }
  })
  const [u, g, groups, ...rest] = out.split('\n')
  t.equal(u, String(NOBODY), 'id -u')
  t.equal(g, String(NOBODY), 'id -g')
  const gids = (groups ?? '').split(' ')
  t.ok(gids.includes('5') && gids.includes('100'), 'id -G includes the additional gids', { groups })
  const f = statusFields(rest.join('\n'))
  t.equal(f.Uid, `${NOBODY}\t${NOBODY}\t${NOBODY}\t${NOBODY}`, 'real, effective, saved and fs uid')
  t.equal(f.Gid, `${NOBODY}\t${NOBODY}\t${NOBODY}\t${NOBODY}`, 'real, effective, saved and fs gid')
  t.same((f.Groups ?? '').split(/\s+/).filter(Boolean).map(Number).filter(x => x !== NOBODY).sort((a, b) => a - b), [5, 100], 'supplementary groups are the additionalGids')
})

t.test('config.md#configPOSIXUser: umask', async t => {
  t.equal(await output(t, 'umask', spec => { spec.process!.user.umask = 0o027 }), '0027\n')
})

t.test('config.md#configRoot: "If true then the root filesystem MUST be read-only inside the container"', async t => {
  const probe = 'touch /probe 2>/dev/null && echo writable || echo read-only'
  t.equal(await output(t, probe, spec => { spec.root!.readonly = true }), 'read-only\n', 'readonly: true → writes fail')
  t.equal(await output(t, probe, spec => { spec.root!.readonly = false }), 'writable\n', 'control: readonly: false → writes succeed')
})

t.test('config.md#configRoot: root.path may be absolute', async t => {
  const { rt, bundle, id } = await setup(t, spec => { spec.process!.args = ['sh', '-c', 'echo abs-root-ok'] }, {})
  const spec = bundle.readConfig()
  spec.root!.path = bundle.rootfs
  bundle.writeConfig(spec)
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, 'run succeeds', { stderr: r.stderr })
  t.equal(r.stdout, 'abs-root-ok\n')
})

t.test('config.md#configMounts: a tmpfs is mounted at its destination', async t => {
  const out = await output(t, 'grep " /scratch " /proc/mounts | cut -d" " -f1,3; echo data > /scratch/f && cat /scratch/f', spec => {
    spec.mounts!.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=1777'] })
  }, b => mkdirSync(join(b.rootfs, 'scratch')))
  t.equal(out, 'tmpfs tmpfs\ndata\n', 'tmpfs at /scratch, writable on a read-only root')
})

t.test('config.md#configMounts: a bind mount shows the host content; "ro" makes it read-only', async t => {
  const host = mkdtempSync(join(tmpdir(), 'ocirt-conformance-hostdata-'))
  t.teardown(() => rmSync(host, { recursive: true, force: true }))
  const token = `token-${Math.random().toString(36).slice(2)}`
  writeFileSync(join(host, 'token'), token)
  const out = await output(t, 'cat /rw/token; echo; cat /ro/token; echo; echo from-container > /rw/new; touch /ro/x 2>/dev/null && echo ro-writable || echo ro-refused', spec => {
    spec.mounts!.push({ destination: '/rw', type: 'bind', source: host, options: ['rbind', 'rw'] })
    spec.mounts!.push({ destination: '/ro', type: 'bind', source: host, options: ['rbind', 'ro'] })
  }, b => { mkdirSync(join(b.rootfs, 'rw')); mkdirSync(join(b.rootfs, 'ro')) })
  t.equal(out, `${token}\n${token}\nro-refused\n`, 'both binds show the host file; the ro one refuses writes')
  t.equal(readFileSync(join(host, 'new'), 'utf8'), 'from-container\n', 'a write through the rw bind reaches the host')
})

t.test('config.md#configMounts: "The runtime MUST mount entries in the listed order"', async t => {
  const a = mkdtempSync(join(tmpdir(), 'ocirt-conformance-a-'))
  const b = mkdtempSync(join(tmpdir(), 'ocirt-conformance-b-'))
  t.teardown(() => { rmSync(a, { recursive: true, force: true }); rmSync(b, { recursive: true, force: true }) })
  writeFileSync(join(a, 'id'), 'A')
  writeFileSync(join(b, 'id'), 'B')
  const out = await output(t, 'cat /layer/id', spec => {
    spec.mounts!.push({ destination: '/layer', type: 'bind', source: a, options: ['rbind'] })
    spec.mounts!.push({ destination: '/layer', type: 'bind', source: b, options: ['rbind'] })
  }, bd => mkdirSync(join(bd.rootfs, 'layer')))
  t.equal(out, 'B', 'the later mount is on top')
})

t.test('config.md#configMounts: a relative destination "MUST be interpreted as relative to /"', async t => {
  const out = await output(t, 'grep " /relmnt " /proc/mounts | cut -d" " -f3', spec => {
    spec.mounts!.push({ destination: 'relmnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] })
  }, b => mkdirSync(join(b.rootfs, 'relmnt')))
  t.equal(out, 'tmpfs\n', 'tmpfs at /relmnt')
})

t.test('config.md#configPOSIXProcess: rlimits — "rlim.rlim_cur MUST match" soft and "rlim.rlim_max MUST match" hard', async t => {
  const out = await output(t, 'ulimit -n; ulimit -Hn; grep -E "^Max (open files|core file size)" /proc/self/limits', spec => {
    spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }, { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 }]
  })
  const [soft, hard, ...limits] = out.split('\n')
  t.equal(soft, '123', 'ulimit -n (soft)')
  t.equal(hard, '456', 'ulimit -Hn (hard)')
  t.match(limits.join('\n'), /Max core file size\s+4096\s+8192\s+bytes/, 'RLIMIT_CORE soft/hard')
  t.match(limits.join('\n'), /Max open files\s+123\s+456\s+files/, 'RLIMIT_NOFILE soft/hard')
})

t.test('config.md#configProcess: args has "similar semantics to execvp\'s argv", args[0] "with the same semantics as execvp\'s file"', async t => {
  const { rt, bundle, id } = await setup(t, spec => {
    spec.process!.env = ['PATH=/nonexistent:/bin']
    spec.process!.args = ['printf', '[%s]', 'a b', '', '*', '$HOME', '\\n', 'ü']
  }, {})
  const r = await rt.runContainer(id, bundle.dir)
  t.equal(r.code, 0, 'args[0] "printf" is found through the container\'s PATH', { stderr: r.stderr })
  t.equal(r.stdout, '[a b][][*][$HOME][\\n][ü]', 'each argument arrives verbatim (no shell, no splitting, no globbing)')
})

t.test('runc CLI: `run` exits with the container process\'s exit code', async t => {
  for (const code of [0, 1, 42, 255]) {
    const r = await runScript(t, `exit ${code}`)
    t.equal(r.code, code, `exit ${code} → run exits ${code}`)
  }
})

t.test('config.md#configLinuxProcess: capabilities — the process has exactly the listed sets', async t => {
  // CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
  const mask = ((1n << 29n) | (1n << 5n) | (1n << 10n)).toString(16).padStart(16, '0')
  const out = await output(t, 'grep ^Cap /proc/self/status', spec => {
    spec.process!.capabilities!.inheritable = [...spec.process!.capabilities!.bounding ?? []]
  })
  const f = statusFields(out)
  t.equal(f.CapBnd, mask, 'bounding')
  t.equal(f.CapEff, mask, 'effective')
  t.equal(f.CapPrm, mask, 'permitted')
  t.equal(f.CapInh, mask, 'inheritable')
  t.equal(f.CapAmb, mask, 'ambient')
})

t.test('config.md#configLinuxProcess: noNewPrivileges sets no_new_privs', async t => {
  const probe = 'grep ^NoNewPrivs /proc/self/status'
  t.match(await output(t, probe, spec => { spec.process!.noNewPrivileges = true }), /NoNewPrivs:\s+1/, 'true → 1')
  t.match(await output(t, probe, spec => { spec.process!.noNewPrivileges = false }), /NoNewPrivs:\s+0/, 'control: false → 0')
})

t.test('config.md#configLinuxProcess: "If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value"', async t => {
  t.equal(await output(t, 'cat /proc/self/oom_score_adj', spec => { spec.process!.oomScoreAdj = 123 }), '123\n')
})

t.test('config.md#configLinuxProcess: "If oomScoreAdj is not set, the runtime MUST NOT change the value"', async t => {
  const mine = readFileSync('/proc/self/oom_score_adj', 'utf8')
  t.equal(await output(t, 'cat /proc/self/oom_score_adj', spec => { delete spec.process!.oomScoreAdj }), mine, 'the container inherits the caller\'s value')
})
