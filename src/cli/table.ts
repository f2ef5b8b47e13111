/**
 * Every command and flag of ocirt, defined once. Parsing (parse.ts), help
 * (help.ts) and shell completion (commands/completion.ts) all read this
 * table, and a command's code is imported only when that command runs, so
 * the hot path (create, start, state, kill, delete) loads nothing it does not use.
 */
import type { Logger } from '../log.js'

export interface Flag {
  name: string
  short?: string
  type: 'string' | 'boolean'
  description: string
  /** Shown in help: --bundle DIR */
  valueName?: string
  default?: string
  /** May be given several times; the values are collected in order. */
  multiple?: boolean
}

export interface Globals {
  /** --root, or its default for the caller; throws a UsageError if there is none. */
  readonly root: string
  /** --rootless resolved: ocirt has no privilege over cgroups. */
  rootless: boolean
  log: string | undefined
  logFormat: 'text' | 'json'
  debug: boolean
  systemdCgroup: boolean
}

export interface CommandContext {
  globals: Globals
  flags: Record<string, string | boolean | string[] | undefined>
  args: string[]
  log: Logger
}

export interface CommandModule {
  /** Returns the exit code. */
  run: (ctx: CommandContext) => Promise<number> | number
}

export interface Command {
  name: string
  summary: string
  /** Positional arguments, for help: "<container-id> [signal]" */
  usage: string
  minArgs: number
  maxArgs: number
  flags: Flag[]
  /** Everything after the first positional argument is arguments (exec's command line). */
  stopAtFirstArgument?: boolean
  load: () => Promise<CommandModule>
}

export const GLOBAL_FLAGS: Flag[] = [
  { name: 'root', type: 'string', valueName: 'DIR', default: '/run/ocirt', description: 'directory for the state of containers (not root: $XDG_RUNTIME_DIR/ocirt)' },
  { name: 'log', type: 'string', valueName: 'FILE', description: 'write log messages to FILE instead of stderr' },
  { name: 'log-format', type: 'string', valueName: 'text|json', default: 'text', description: 'format of the log' },
  { name: 'debug', type: 'boolean', description: 'log debug messages' },
  { name: 'systemd-cgroup', type: 'boolean', description: 'manage cgroups through systemd (cgroupsPath is slice:prefix:name)' },
  { name: 'rootless', type: 'string', valueName: 'true|false|auto', default: 'auto', description: 'run without privilege over cgroups (auto: when not root)' },
  { name: 'criu', type: 'string', valueName: 'PATH', description: 'accepted for runc compatibility' },
  { name: 'version', short: 'v', type: 'boolean', description: 'print the version' },
  { name: 'help', short: 'h', type: 'boolean', description: 'show help' },
]

const bundle: Flag = { name: 'bundle', short: 'b', type: 'string', valueName: 'DIR', description: 'the bundle directory (default: the current directory)' }
const pidFile: Flag = { name: 'pid-file', type: 'string', valueName: 'FILE', description: 'write the pid of the container process to FILE' }
const consoleSocket: Flag = { name: 'console-socket', type: 'string', valueName: 'PATH', description: 'unix socket that receives the pty master when process.terminal is true' }
const preserveFds: Flag = { name: 'preserve-fds', type: 'string', valueName: 'N', default: '0', description: 'pass N fds after stdio (3 .. 3+N-1) to the container' }
const noPivot: Flag = { name: 'no-pivot', type: 'boolean', description: 'use MS_MOVE and chroot instead of pivot_root (for a rootfs on ramfs)' }
const noNewKeyring: Flag = { name: 'no-new-keyring', type: 'boolean', description: 'keep the caller\'s session keyring instead of a new one named _ses.ID' }
const help: Flag = { name: 'help', short: 'h', type: 'boolean', description: 'show help for the command' }

export const COMMANDS: Command[] = [
  {
    name: 'create', summary: 'create a container that waits for start', usage: '<container-id>', minArgs: 1, maxArgs: 1,
    flags: [bundle, pidFile, consoleSocket, preserveFds, noPivot, noNewKeyring, help],
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
