/** ocirt spec: write a default config.json into the bundle (like runc spec). */
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { resolve } from 'node:path'
import type { specFlags } from '../cli/flags-spec.js'
import type { CommandContext } from '../cli/types.js'
import { OcirtError } from '../errors.js'
import { defaultConfig } from '../spec/default-config.js'
// The command's flags and main()'s support, loaded by the same import() as its code (cli/types.ts CommandModule).
export { specFlags as flags } from '../cli/flags-spec.js'
export { support } from '../cli/support.js'

export function run (ctx: CommandContext<typeof specFlags, []>): number {
  const path = resolve(ctx.flags.bundle ?? '.', 'config.json')
  let fd: number
  try {
    // O_EXCL: never over an existing file, nor through a symlink planted there.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new OcirtError(`${path} already exists; remove it first`)
    throw new OcirtError(`cannot write ${path} (--bundle): ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code ?? (e as Error).message}`)
  }
  try {
    writeSync(fd, JSON.stringify(defaultConfig(ctx.flags.rootless), null, '\t') + '\n')
  } finally {
    closeSync(fd)
  }
  return 0
}
