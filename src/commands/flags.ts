/** Flag values shared by several commands. */
import type { CommandContext } from '../cli/table.js'
import type { CreateOptions } from '../container/create.js'
import type { CriuCommonOptions } from '../container/criu.js'
import { UsageError } from '../errors.js'

export function preserveFdsFlag (flags: CommandContext['flags']): number {
  const text = (flags['preserve-fds'] as string | undefined) ?? '0'
  if (!/^\d+$/.test(text)) throw new UsageError(`flag --preserve-fds takes a number, not "${text}"`)
  return Number(text)
}

/** create's and run's common flags, as createContainer takes them. */
export function createOptions (ctx: CommandContext): CreateOptions {
  return {
    root: ctx.globals.root,
    id: ctx.args[0],
    bundle: ctx.flags.bundle as string | undefined,
    pidFile: ctx.flags['pid-file'] as string | undefined,
    consoleSocket: ctx.flags['console-socket'] as string | undefined,
    preserveFds: preserveFdsFlag(ctx.flags),
    noPivot: ctx.flags['no-pivot'] === true,
    noNewKeyring: ctx.flags['no-new-keyring'] === true,
    systemdCgroup: ctx.globals.systemdCgroup,
    rootless: ctx.globals.rootless,
    log: ctx.log,
  }
}

/** A flag's values, whether given once or repeated. */
export function flagValues (value: string | boolean | string[] | undefined): string[] {
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : []
}

/** checkpoint's and restore's common flags (criuCommon in cli/table.ts). */
export function criuCommonFlags (ctx: CommandContext): CriuCommonOptions & { root: string, criu: string, imagePath: string | undefined, workPath: string | undefined, log: CommandContext['log'] } {
  const f = ctx.flags
  return {
    root: ctx.globals.root,
    criu: ctx.globals.criu,
    imagePath: f['image-path'] as string | undefined,
    workPath: f['work-path'] as string | undefined,
    tcpEstablished: f['tcp-established'] === true,
    extUnixSk: f['ext-unix-sk'] === true,
    shellJob: f['shell-job'] === true,
    fileLocks: f['file-locks'] === true,
    manageCgroupsMode: f['manage-cgroups-mode'] as string | undefined,
    emptyNs: flagValues(f['empty-ns']),
    log: ctx.log,
  }
}
