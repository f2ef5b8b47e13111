/**
 * ocirt's global flags (before the command), which every run scans in the
 * entry chunk. Each command's own flags are declared in flags-NAME.ts, one
 * module per command (or pair of commands), which the command's module
 * re-exports as `flags`: so they load with the command that runs (or whose
 * help is asked for), not in the entry chunk, which every run loads (issue
 * 11, docs/performance.md "The entry chunk"). Each command types its
 * `ctx.flags` from its own list (`CommandContext<typeof createFlags>`), so a
 * command reads `ctx.flags.bundle` as a string without a cast, and a flag
 * name the command does not declare is a compile error.
 *
 * A command's list is a function that builds it (FlagDeclaration), called
 * for the command that runs (or by help and completion): bun's bytecode
 * leaves a function's body undecoded until its first call.
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

/**
 * The --help flag every command takes, and the flags of the commands that
 * take nothing else (start, state, pause, resume, features, completion):
 * here, in the entry chunk, rather than in a module of their own, which
 * would be a chunk of its own that state, start and kill load (each chunk a
 * compiled bun loads costs it tens of thousands of instructions).
 */
export const help = { name: 'help', short: 'h', type: 'boolean', description: 'show help for the command' } as const satisfies Flag

/** The flags of commands without flags of their own. */
export function helpOnlyFlags () {
  return [help] as const satisfies readonly Flag[]
}
