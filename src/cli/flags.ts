/**
 * Every flag of ocirt, declared once per command. The table (table.ts) hands
 * these lists to parsing, help and completion; each command types its
 * `ctx.flags` from its own list (`CommandContext<typeof createFlags>`), so a
 * command reads `ctx.flags.bundle` as a string without a cast, and a flag
 * name the command does not declare is a compile error. This module holds
 * data only: the table imports it without importing any command's code.
 *
 * A command's list is a function that builds it (FlagDeclaration), called
 * for the command that runs (or by help and completion): building all of
 * them cost every ocirt process 0.29 M instructions at start-up (issue 11,
 * docs/performance.md), and bun's bytecode leaves a function's body
 * undecoded until its first call.
 */
import type { Flag } from './types.js'

export const GLOBAL_FLAGS = [
  { name: 'root', type: 'string', valueName: 'DIR', default: '/run/ocirt', description: 'directory for the state of containers (not root: $XDG_RUNTIME_DIR/ocirt)' },
  { name: 'log', type: 'string', valueName: 'FILE', description: 'write log messages to FILE instead of stderr' },
  { name: 'log-format', type: 'string', valueName: 'text|json', default: 'text', description: 'format of the log' },
  { name: 'debug', type: 'boolean', description: 'log debug messages' },
  { name: 'systemd-cgroup', type: 'boolean', description: 'manage cgroups through systemd (cgroupsPath is slice:prefix:name)' },
  { name: 'rootless', type: 'string', valueName: 'true|false|auto', default: 'auto', description: 'run without privilege over cgroups (auto: when not root)' },
  { name: 'criu', type: 'string', valueName: 'PATH', default: '/usr/sbin/criu', description: 'the criu binary used by checkpoint and restore' },
  { name: 'version', short: 'v', type: 'boolean', description: 'print the version' },
  { name: 'help', short: 'h', type: 'boolean', description: 'show help' },
] as const satisfies readonly Flag[]

const bundle = { name: 'bundle', short: 'b', type: 'string', valueName: 'DIR', description: 'the bundle directory (default: the current directory)' } as const satisfies Flag
const pidFile = { name: 'pid-file', type: 'string', valueName: 'FILE', description: 'write the pid of the container process to FILE' } as const satisfies Flag
const consoleSocket = { name: 'console-socket', type: 'string', valueName: 'PATH', description: 'unix socket that receives the pty master when process.terminal is true' } as const satisfies Flag
const preserveFds = { name: 'preserve-fds', type: 'string', valueName: 'N', default: '0', description: 'pass N fds after stdio (3 .. 3+N-1) to the container' } as const satisfies Flag
const noPivot = { name: 'no-pivot', type: 'boolean', description: 'use MS_MOVE and chroot instead of pivot_root (for a rootfs on ramfs)' } as const satisfies Flag
const noNewKeyring = { name: 'no-new-keyring', type: 'boolean', description: 'keep the caller\'s session keyring instead of a new one named _ses.ID' } as const satisfies Flag
const detach = { name: 'detach', short: 'd', type: 'boolean', description: 'return once the container runs' } as const satisfies Flag
const help = { name: 'help', short: 'h', type: 'boolean', description: 'show help for the command' } as const satisfies Flag

/** update's flags of one value kind: NAME BYTES or NAME N. */
function valueFlags<const Name extends string> (valueName: string, suffix: string, defs: ReadonlyArray<readonly [Name, string]>) {
  return defs.map(([name, description]) => ({ name, type: 'string', valueName, description: `${description}${suffix}` }) as const satisfies Flag)
}

/** The flags of commands without flags of their own. */
export function helpOnlyFlags () {
  return [help] as const satisfies readonly Flag[]
}

/** create's and run's common flags (createOptions in commands/flags.ts). */
export function createCommonFlags () {
  return [bundle, pidFile, consoleSocket, preserveFds, noPivot, noNewKeyring] as const satisfies readonly Flag[]
}

export function createFlags () {
  return [...createCommonFlags(),
    { name: 'dry-run', type: 'boolean', description: 'print the plan create would carry out on this host as JSON, and change nothing (no state, cgroup, process, mount or hook); runc cannot show this' },
    help] as const satisfies readonly Flag[]
}

export function runFlags () {
  return [...createCommonFlags(),
    detach,
    { name: 'keep', type: 'boolean', description: 'do not delete the container after it exits' },
    help] as const satisfies readonly Flag[]
}

export function killFlags () {
  return [
    { name: 'all', short: 'a', type: 'boolean', description: 'signal every process of the container' },
    help] as const satisfies readonly Flag[]
}

export function deleteFlags () {
  return [
    { name: 'force', short: 'f', type: 'boolean', description: 'kill the container first if it is running' },
    help] as const satisfies readonly Flag[]
}

export function execFlags () {
  return [
    { name: 'process', short: 'p', type: 'string', valueName: 'FILE', description: 'a process.json (config.md "process") instead of the command line' },
    { name: 'detach', short: 'd', type: 'boolean', description: 'return once the process runs' },
    pidFile, consoleSocket,
    { name: 'tty', short: 't', type: 'boolean', description: 'allocate a pseudo-TTY' },
    { name: 'cwd', type: 'string', valueName: 'DIR', description: 'working directory in the container' },
    { name: 'env', short: 'e', type: 'string', valueName: 'KEY=VALUE', multiple: true, description: 'add an environment variable (repeatable)' },
    { name: 'user', short: 'u', type: 'string', valueName: 'UID[:GID]', description: 'run as this user' },
    { name: 'additional-gids', short: 'g', type: 'string', valueName: 'GID', multiple: true, description: 'an additional group (repeatable)' },
    { name: 'cap', short: 'c', type: 'string', valueName: 'CAP', multiple: true, description: 'add a capability (repeatable)' },
    { name: 'no-new-privs', type: 'boolean', description: 'set no_new_privs for the process' },
    { name: 'apparmor', type: 'string', valueName: 'PROFILE', description: 'AppArmor profile for the process' },
    { name: 'process-label', type: 'string', valueName: 'LABEL', description: 'SELinux label for the process' },
    preserveFds, help] as const satisfies readonly Flag[]
}

export function listFlags () {
  return [
    { name: 'format', short: 'f', type: 'string', valueName: 'table|json', default: 'table', description: 'output format' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print only the ids' },
    help] as const satisfies readonly Flag[]
}

export function psFlags () {
  return [
    { name: 'format', short: 'f', type: 'string', valueName: 'table|json', default: 'table', description: 'output format (json: the host pids)' },
    help] as const satisfies readonly Flag[]
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

export function eventsFlags () {
  return [
    { name: 'stats', type: 'boolean', description: 'print the usage once and exit' },
    { name: 'interval', type: 'string', valueName: 'DURATION', default: '5s', description: 'how often to print the usage' },
    help] as const satisfies readonly Flag[]
}

/** checkpoint's and restore's common flags (criu's options). */
export function criuCommonFlags () {
  return [
    { name: 'image-path', type: 'string', valueName: 'DIR', default: './checkpoint', description: 'the directory of the criu image files' },
    { name: 'work-path', type: 'string', valueName: 'DIR', description: 'the directory for criu\'s log and work files (default: the image path)' },
    { name: 'tcp-established', type: 'boolean', description: 'allow open TCP connections' },
    { name: 'ext-unix-sk', type: 'boolean', description: 'allow external unix sockets' },
    { name: 'shell-job', type: 'boolean', description: 'allow shell jobs (a controlling terminal from outside)' },
    { name: 'file-locks', type: 'boolean', description: 'dump and restore file locks' },
    { name: 'manage-cgroups-mode', type: 'string', valueName: 'soft|full|strict|ignore', default: 'soft', description: 'criu\'s cgroups mode (as runc: soft)' },
    { name: 'empty-ns', type: 'string', valueName: 'network', multiple: true, description: 'create the namespace but do not restore its contents (repeatable)' },
  ] as const satisfies readonly Flag[]
}

export function checkpointFlags () {
  return [...criuCommonFlags(),
    { name: 'parent-path', type: 'string', valueName: 'DIR', description: 'a previous pre-dump, relative to the image path' },
    { name: 'leave-running', type: 'boolean', description: 'leave the container running after the checkpoint' },
    { name: 'pre-dump', type: 'boolean', description: 'dump only the memory, and leave the container running' },
    { name: 'auto-dedup', type: 'boolean', description: 'deduplicate the memory images against the parent' },
    { name: 'page-server', type: 'string', valueName: 'ADDRESS:PORT', description: 'send the memory pages to a criu page server' },
    help] as const satisfies readonly Flag[]
}

export function restoreFlags () {
  return [...criuCommonFlags(), bundle, pidFile, consoleSocket, detach, help] as const satisfies readonly Flag[]
}

export function specFlags () {
  return [bundle,
    { name: 'rootless', type: 'boolean', description: 'a config for a container run without root' },
    help] as const satisfies readonly Flag[]
}
