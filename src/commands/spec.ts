/** ocirt spec: write a default config.json into the bundle (like runc spec). */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CommandContext } from '../cli/table.js'
import { OcirtError } from '../errors.js'
import { defaultConfig } from '../spec/default-config.js'

export function run (ctx: CommandContext): number {
  const path = resolve((ctx.flags.bundle as string | undefined) ?? '.', 'config.json')
  if (existsSync(path)) throw new OcirtError(`${path} already exists; remove it first`)
  writeFileSync(path, JSON.stringify(defaultConfig(ctx.flags.rootless === true), null, '\t') + '\n')
  return 0
}
