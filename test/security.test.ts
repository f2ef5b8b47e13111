// ocirt's side of issue 3 (isolation and security) that the conformance
// suite cannot see black-box: what `features` claims, the error texts that
// name the config path, warnings, and choices the spec leaves open.
// (conformance/seccomp-notify, idmap-mounts and process-attributes have the
// behaviour itself.)
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startSeccompAgent } from '../conformance/lib/seccomp-agent.js'
import { WAIT_GO } from '../conformance/lib/harness.js'
import { ocirt, runShell } from './lib/ocirt.js'

const selinux = existsSync('/sys/fs/selinux/enforce')
const apparmor = existsSync('/sys/module/apparmor/parameters/enabled')

t.test('features claims the seccomp agent, the kernel\'s filter flags and id-mapped mounts', async t => {
  const { rt } = await ocirt(t)
  const r = await rt.run(['features'], { noRoot: true })
  t.equal(r.code, 0, r.stderr)
  const f = JSON.parse(r.stdout)
  t.ok(f.linux.seccomp.actions.includes('SCMP_ACT_NOTIFY'), 'SCMP_ACT_NOTIFY (kernel 5.0+)')
  t.ok(f.linux.seccomp.supportedFlags.includes('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'), 'WAIT_KILLABLE_RECV, probed together with NEW_LISTENER (kernel 5.19+)')
  t.same(f.linux.mountExtensions, { idmap: { enabled: true } })
  t.ok(f.mountOptions.includes('idmap') && f.mountOptions.includes('ridmap'), 'idmap and ridmap are mount options')
})

t.test('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV without a listener is refused, naming the flag', async t => {
  const r = await runShell(t, 'true', spec => {
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], syscalls: [{ names: ['reboot'], action: 'SCMP_ACT_ERRNO' }] }
  })
  t.equal(r.code, 1)
  t.match(r.stderr, /config\.json: \/linux\/seccomp\/flags\/0: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs SCMP_ACT_NOTIFY rules/)
})

t.test('an agent with WAIT_KILLABLE_RECV and TSYNC (made TSYNC_ESRCH, the only TSYNC the kernel takes with a listener)', async t => {
  const agent = await startSeccompAgent(t, 33)
  const r = await runShell(t, 'mkdir /tmp/x 2>&1; true', spec => {
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: agent.socket,
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_TSYNC'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
    }
  })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /Numerical argument out of domain/)
  t.equal(agent.states()[0]?.state.state.status, 'created', 'loaded with no_new_privs: sent at start, while the container is created')
})

t.test('a scheduler the kernel refuses names process.scheduler', async t => {
  // SCHED_DEADLINE runtimes below 1024 ns are refused by sched_setattr (EINVAL).
  const r = await runShell(t, 'true', spec => { spec.process!.scheduler = { policy: 'SCHED_DEADLINE', runtime: 100, deadline: 1000, period: 1000 } })
  t.equal(r.code, 1)
  t.match(r.stderr, /process\.scheduler: sched_setattr\(2\): invalid argument/)
})

t.test('exec gets the container\'s personality; execCPUAffinity in config.json is ignored with a warning (config.md: not for the init)', async t => {
  const { rt, bundle, id } = await ocirt(t, spec => {
    spec.process!.args = ['sh', '-c', WAIT_GO]
    spec.linux!.personality = { domain: 'LINUX32' }
    spec.process!.execCPUAffinity = { final: '0' }
  })
  const created = await rt.run(['create', '--bundle', bundle.dir, id])
  t.equal(created.code, 0, created.stderr)
  t.match(created.stderr, /execCPUAffinity.*ignored/)
  t.equal((await rt.run(['start', id])).code, 0)
  const r = await rt.run(['exec', id, 'cat', '/proc/self/personality'])
  t.equal(r.stdout.trim(), '00000008', r.stderr)
  writeFileSync(join(bundle.shared, 'go'), '')
})

t.test('process.selinuxLabel and linux.mountLabel where SELinux is disabled: ignored with a warning (runc 1.1.5 refuses them: conformance/deviations.md)', { skip: selinux ? 'SELinux is enabled here' : false }, async t => {
  const r = await runShell(t, 'echo ran', spec => {
    spec.process!.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2'
    ;(spec.linux as Record<string, unknown>).mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2'
  })
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'ran\n')
  t.match(r.stderr, /process\.selinuxLabel ignored: SELinux is not enabled on this host/)
  t.match(r.stderr, /linux\.mountLabel ignored: SELinux is not enabled on this host/)
})

t.test('process.apparmorProfile where AppArmor is disabled: create and exec fail, naming it', { skip: apparmor ? 'AppArmor is enabled here' : false }, async t => {
  const created = await runShell(t, 'true', spec => { spec.process!.apparmorProfile = 'ocirt-test' })
  t.equal(created.code, 1)
  t.match(created.stderr, /config\.json: \/process\/apparmorProfile: AppArmor is not enabled on this host/)

  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', WAIT_GO] })
  t.equal((await rt.run(['create', '--bundle', bundle.dir, id])).code, 0)
  const processJson = join(bundle.dir, 'process.json')
  writeFileSync(processJson, JSON.stringify({ args: ['true'], cwd: '/', user: { uid: 0, gid: 0 }, apparmorProfile: 'ocirt-test' }))
  const r = await rt.run(['exec', '--process', processJson, id])
  t.not(r.code, 0)
  t.match(r.stderr, /\/apparmorProfile: AppArmor is not enabled on this host/)
})

t.test('exec --apparmor and --process-label set the exec\'d process\'s labels, as the same fields in exec --process do (runc 1.1.5)', { skip: selinux || apparmor ? 'an LSM is enabled here' : false }, async t => {
  const { rt, bundle, id } = await ocirt(t, spec => { spec.process!.args = ['sh', '-c', WAIT_GO] })
  t.teardown(() => writeFileSync(join(bundle.shared, 'go'), ''))
  t.equal((await rt.run(['create', '--bundle', bundle.dir, id])).code, 0)
  t.equal((await rt.run(['start', id])).code, 0)
  const throughFile = async (fields: Record<string, string>) => {
    const processJson = join(bundle.dir, 'process.json')
    writeFileSync(processJson, JSON.stringify({ args: ['echo', 'ran'], cwd: '/', user: { uid: 0, gid: 0 }, ...fields }))
    return rt.run(['exec', '--process', processJson, id])
  }
  /** What a caller sees, without the log's time= stamps. */
  const outcome = (r: { code: number | null, stdout: string, stderr: string }) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr.replace(/time="[^"]*" /g, '') })

  // runc 1.1.5 here: exit 255, "apparmor failed to apply profile: write /proc/self/attr/exec: invalid argument".
  const profileFlag = await rt.run(['exec', '--apparmor', 'ocirt-test', id, 'echo', 'ran'])
  const profileFile = await throughFile({ apparmorProfile: 'ocirt-test' })
  t.not(profileFlag.code, 0, 'an AppArmor profile on a host without AppArmor fails')
  t.match(profileFlag.stderr, /\/apparmorProfile: AppArmor is not enabled on this host/)
  t.same(outcome(profileFlag), outcome(profileFile), 'as with exec --process')

  const labelFlag = await rt.run(['exec', '--process-label', 'system_u:system_r:container_t:s0', id, 'echo', 'ran'])
  const labelFile = await throughFile({ selinuxLabel: 'system_u:system_r:container_t:s0' })
  t.match(labelFlag.stderr, /selinuxLabel ignored: SELinux is not enabled on this host/, 'the label reaches the process plan')
  t.equal(labelFlag.stdout, 'ran\n', 'and the process runs (the label ignored, as in create)')
  t.same(outcome(labelFlag), outcome(labelFile), 'as with exec --process')
})
