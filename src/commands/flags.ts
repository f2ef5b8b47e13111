/** Flag values shared by several commands. */
import type { createCommonFlags } from '../cli/flags-create.js'
import type { criuCommonFlags } from '../cli/flags-criu.js'
import type { CommandContext, ContainerArgs } from '../cli/types.js'
import type { CreateOptions } from '../container/create.js'
import type { CriuCommonOptions } from '../container/criu.js'
import { OcirtError, UsageError } from '../errors.js'
import { loadNative } from '../native.js'

/** --preserve-fds's value (create, run, exec) as a checked count. */
export function preserveFdsFlag (text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`flag --preserve-fds takes a number, not "${text}"`)
  const count = Number(text)
  requireInheritedFds(count)
  return count
}

/**
 * runtime-linux.md "File descriptors": the container gets the fds its caller
 * passed. Each of 3 .. 3+count-1 must be open and the caller's: a missing one
 * is filled by the first fds ocirt opens itself (its event loop's epoll and
 * eventfd, then whatever it opens next), which must never reach a container. The words are
 * runc's ("unable to stat preserved-fd"); runc only stats, which its own
 * fds pass too (runc 1.1.5 hands them to the container).
 */
function requireInheritedFds (count: number): void {
  if (count === 0) return
  const native = loadNative()
  for (let fd = 3; fd < 3 + count; fd++) {
    const problem = native.preservedFdProblem(fd)
    if (problem === 0) continue
    const reason = problem === -1 ? 'not passed by the caller (ocirt\'s own event loop took its number)' : native.strerror(problem).toLowerCase()
    throw new OcirtError(`flag --preserve-fds ${count}: unable to stat preserved-fd ${fd} (of 3..${2 + count}): ${reason}`)
  }
}

/** create's and run's common flags, as createContainer takes them. */
export function createOptions (ctx: CommandContext<typeof createCommonFlags, ContainerArgs>): CreateOptions {
  return {
    root: ctx.globals.root,
    id: ctx.args[0],
    bundle: ctx.flags.bundle,
    pidFile: ctx.flags['pid-file'],
    consoleSocket: ctx.flags['console-socket'],
    preserveFds: preserveFdsFlag(ctx.flags['preserve-fds']),
    noPivot: ctx.flags['no-pivot'],
    noNewKeyring: ctx.flags['no-new-keyring'],
    systemdCgroup: ctx.globals.systemdCgroup,
    rootless: ctx.globals.rootless,
    log: ctx.log,
  }
}

/** checkpoint's and restore's common flags (criuCommonFlags in cli/flags-criu.ts). */
export function criuCommonOptions (ctx: CommandContext<typeof criuCommonFlags>): CriuCommonOptions & { root: string, criu: string, imagePath: string | undefined, workPath: string | undefined, log: CommandContext['log'] } {
  const f = ctx.flags
  return {
    root: ctx.globals.root,
    criu: ctx.globals.criu,
    imagePath: f['image-path'],
    workPath: f['work-path'],
    tcpEstablished: f['tcp-established'],
    extUnixSk: f['ext-unix-sk'],
    shellJob: f['shell-job'],
    fileLocks: f['file-locks'],
    manageCgroupsMode: f['manage-cgroups-mode'],
    emptyNs: f['empty-ns'],
    log: ctx.log,
  }
}
