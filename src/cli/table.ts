/**
 * Every command and flag of ocirt, defined once. Parsing (parse.ts), help
 * (help.ts) and shell completion (commands/completion.ts) all read this
 * table, and a command's code is imported only when that command runs, so
 * the hot path (create, start, state, kill, delete) loads nothing it does not use.
 */
import type { Command, Flag } from './types.js'

export const GLOBAL_FLAGS: Flag[] = [
  { name: 'root', type: 'string', valueName: 'DIR', default: '/run/ocirt', description: 'directory for the state of containers (not root: $XDG_RUNTIME_DIR/ocirt)' },
  { name: 'log', type: 'string', valueName: 'FILE', description: 'write log messages to FILE instead of stderr' },
  { name: 'log-format', type: 'string', valueName: 'text|json', default: 'text', description: 'format of the log' },
  { name: 'debug', type: 'boolean', description: 'log debug messages' },
  { name: 'systemd-cgroup', type: 'boolean', description: 'manage cgroups through systemd (cgroupsPath is slice:prefix:name)' },
  { name: 'rootless', type: 'string', valueName: 'true|false|auto', default: 'auto', description: 'run without privilege over cgroups (auto: when not root)' },
  { name: 'criu', type: 'string', valueName: 'PATH', default: '/usr/sbin/criu', description: 'the criu binary used by checkpoint and restore' },
  { name: 'version', short: 'v', type: 'boolean', description: 'print the version' },
  { name: 'help', short: 'h', type: 'boolean', description: 'show help' },
]

const bundle: Flag = { name: 'bundle', short: 'b', type: 'string', valueName: 'DIR', description: 'the bundle directory (default: the current directory)' }
const pidFile: Flag = { name: 'pid-file', type: 'string', valueName: 'FILE', description: 'write the pid of the container process to FILE' }
const consoleSocket: Flag = { name: 'console-socket', type: 'string', valueName: 'PATH', description: 'unix socket that receives the pty master when process.terminal is true' }
const preserveFds: Flag = { name: 'preserve-fds', type: 'string', valueName: 'N', default: '0', description: 'pass N fds after stdio (3 .. 3+N-1) to the container' }
const noPivot: Flag = { name: 'no-pivot', type: 'boolean', description: 'use MS_MOVE and chroot instead of pivot_root (for a rootfs on ramfs)' }
const noNewKeyring: Flag = { name: 'no-new-keyring', type: 'boolean', description: 'keep the caller\'s session keyring instead of a new one named _ses.ID' }
const sizeFlags = (defs: Array<[string, string]>): Flag[] => defs.map(([name, description]) => ({ name, type: 'string', valueName: 'BYTES', description: `${description}, e.g. 512m` }))
const numberFlags = (defs: Array<[string, string]>): Flag[] => defs.map(([name, description]) => ({ name, type: 'string', valueName: 'N', description }))
const criuCommon: Flag[] = [
  { name: 'image-path', type: 'string', valueName: 'DIR', default: './checkpoint', description: 'the directory of the criu image files' },
  { name: 'work-path', type: 'string', valueName: 'DIR', description: 'the directory for criu\'s log and work files (default: the image path)' },
  { name: 'tcp-established', type: 'boolean', description: 'allow open TCP connections' },
  { name: 'ext-unix-sk', type: 'boolean', description: 'allow external unix sockets' },
  { name: 'shell-job', type: 'boolean', description: 'allow shell jobs (a controlling terminal from outside)' },
  { name: 'file-locks', type: 'boolean', description: 'dump and restore file locks' },
  { name: 'manage-cgroups-mode', type: 'string', valueName: 'soft|full|strict|ignore', default: 'soft', description: 'criu\'s cgroups mode (as runc: soft)' },
  { name: 'empty-ns', type: 'string', valueName: 'network', multiple: true, description: 'create the namespace but do not restore its contents (repeatable)' },
]
const help: Flag = { name: 'help', short: 'h', type: 'boolean', description: 'show help for the command' }

export const COMMANDS: Command[] = [
  {
    name: 'create', summary: 'create a container that waits for start', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [bundle, pidFile, consoleSocket, preserveFds, noPivot, noNewKeyring,
      { name: 'dry-run', type: 'boolean', description: 'print the plan create would carry out on this host as JSON, and change nothing (no state, cgroup, process, mount or hook); runc cannot show this' }, help],
    load: async () => await import('../commands/create.js'),
  },
  {
    name: 'start', summary: 'run the user program of a created container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [help],
    load: async () => await import('../commands/start.js'),
  },
  {
    name: 'state', summary: 'print the state of a container as JSON', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [help],
    load: async () => await import('../commands/state.js'),
  },
  {
    name: 'kill', summary: 'send a signal (default SIGTERM) to a container', usage: '<container-id> [signal]', minArgs: 1, maxArgs: 2,
    flags: [{ name: 'all', short: 'a', type: 'boolean', description: 'signal every process of the container' }, help],
    load: async () => await import('../commands/kill.js'),
  },
  {
    name: 'delete', summary: 'delete a stopped (or, with --force, any) container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [{ name: 'force', short: 'f', type: 'boolean', description: 'kill the container first if it is running' }, help],
    load: async () => await import('../commands/delete.js'),
  },
  {
    name: 'run', summary: 'create and start a container, wait for it and delete it', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [bundle, pidFile, consoleSocket, preserveFds, noPivot, noNewKeyring,
      { name: 'detach', short: 'd', type: 'boolean', description: 'return once the container runs' },
      { name: 'keep', type: 'boolean', description: 'do not delete the container after it exits' }, help],
    load: async () => await import('../commands/run.js'),
  },
  {
    name: 'exec', summary: 'run a new process in a running container', usage: '<container-id> [command [args...]]', minArgs: 1, maxArgs: Infinity,
    stopAtFirstArgument: true,
    flags: [
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
      preserveFds, help],
    load: async () => await import('../commands/exec.js'),
  },
  {
    name: 'list', summary: 'list the containers under --root', usage: '', minArgs: 0, maxArgs: 0,
    flags: [{ name: 'format', short: 'f', type: 'string', valueName: 'table|json', default: 'table', description: 'output format' },
      { name: 'quiet', short: 'q', type: 'boolean', description: 'print only the ids' }, help],
    load: async () => await import('../commands/list.js'),
  },
  {
    name: 'ps', summary: 'list the processes of a container', usage: '<container-id> [ps options]', minArgs: 1, maxArgs: Infinity,
    stopAtFirstArgument: true,
    flags: [{ name: 'format', short: 'f', type: 'string', valueName: 'table|json', default: 'table', description: 'output format (json: the host pids)' }, help],
    load: async () => await import('../commands/ps.js'),
  },
  {
    name: 'pause', summary: 'freeze every process of a container (its cgroup)', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [help],
    load: async () => await import('../commands/pause.js'),
  },
  {
    name: 'resume', summary: 'thaw a paused container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [help],
    load: async () => await import('../commands/resume.js'),
  },
  {
    name: 'update', summary: 'change the cgroup limits of a running container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [
      { name: 'resources', short: 'r', type: 'string', valueName: 'FILE', description: 'a linux.resources JSON document (- for stdin)' },
      ...sizeFlags([['memory', 'memory limit'], ['memory-reservation', 'memory soft limit'], ['memory-swap', 'memory+swap limit (-1: unlimited)'],
        ['kernel-memory', 'kernel memory limit (obsolete)'], ['kernel-memory-tcp', 'kernel TCP buffer limit (obsolete)']]),
      ...numberFlags([['cpu-share', 'CPU shares (relative weight)'], ['cpu-period', 'CPU CFS period in µs'], ['cpu-quota', 'CPU CFS quota in µs per period'],
        ['cpu-rt-period', 'CPU realtime period in µs'], ['cpu-rt-runtime', 'CPU realtime runtime in µs per period'], ['cpu-idle', '1: SCHED_IDLE for the cgroup, 0: default'],
        ['pids-limit', 'maximum number of pids (-1: no limit)'], ['blkio-weight', 'block IO weight, 10 to 1000']]),
      { name: 'cpuset-cpus', type: 'string', valueName: 'LIST', description: 'CPUs to use, e.g. 0-3,7' },
      { name: 'cpuset-mems', type: 'string', valueName: 'LIST', description: 'memory nodes to use, e.g. 0-1' },
      help],
    load: async () => await import('../commands/update.js'),
  },
  {
    name: 'events', summary: 'print resource usage and OOM events of a container', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [{ name: 'stats', type: 'boolean', description: 'print the usage once and exit' },
      { name: 'interval', type: 'string', valueName: 'DURATION', default: '5s', description: 'how often to print the usage' }, help],
    load: async () => await import('../commands/events.js'),
  },
  {
    name: 'checkpoint', summary: 'checkpoint a running container with criu', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [...criuCommon,
      { name: 'parent-path', type: 'string', valueName: 'DIR', description: 'a previous pre-dump, relative to the image path' },
      { name: 'leave-running', type: 'boolean', description: 'leave the container running after the checkpoint' },
      { name: 'pre-dump', type: 'boolean', description: 'dump only the memory, and leave the container running' },
      { name: 'auto-dedup', type: 'boolean', description: 'deduplicate the memory images against the parent' },
      { name: 'page-server', type: 'string', valueName: 'ADDRESS:PORT', description: 'send the memory pages to a criu page server' }, help],
    load: async () => await import('../commands/checkpoint.js'),
  },
  {
    name: 'restore', summary: 'restore a container from a checkpoint with criu', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [...criuCommon, bundle, pidFile, consoleSocket,
      { name: 'detach', short: 'd', type: 'boolean', description: 'return once the container runs' }, help],
    load: async () => await import('../commands/restore.js'),
  },
  {
    name: 'features', summary: 'print what this runtime implements (features.md JSON)', usage: '', minArgs: 0, maxArgs: 0,
    flags: [help],
    load: async () => await import('../commands/features.js'),
  },
  {
    name: 'spec', summary: 'write a default config.json', usage: '', minArgs: 0, maxArgs: 0,
    flags: [bundle, { name: 'rootless', type: 'boolean', description: 'a config for a container run without root' }, help],
    load: async () => await import('../commands/spec.js'),
  },
  {
    name: 'completion', summary: 'print a bash completion script', usage: '[bash]', minArgs: 0, maxArgs: 1,
    flags: [help],
    load: async () => await import('../commands/completion.js'),
  },
]

export function findCommand (name: string): Command | undefined {
  return COMMANDS.find(c => c.name === name)
}
