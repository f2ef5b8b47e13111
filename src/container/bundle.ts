/** bundle.md: a directory with config.json (and usually the rootfs). */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { OcirtError } from '../errors.js'
import type { Spec } from '../spec/types.js'
import { parseConfig } from '../spec/validate.js'

export interface Bundle { dir: string, spec: Spec }

export function loadBundle (dir: string | undefined): Bundle {
  const bundle = resolve(dir ?? process.cwd())
  let text: string
  try {
    text = readFileSync(resolve(bundle, 'config.json'), 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory' : (e as Error).message
    throw new OcirtError(`bundle ${bundle}: cannot read config.json: ${why} (--bundle names the bundle directory)`)
  }
  return { dir: bundle, spec: parseConfig(text, 'config.json') }
}
