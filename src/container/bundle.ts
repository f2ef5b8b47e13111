/** bundle.md: a directory with config.json (and usually the rootfs). */
import { resolve } from '../linux/path.js'
import { readDocument } from './document.js'
import type { Spec } from '../spec/types.js'
import { parseConfig } from '../spec/validate.js'

export interface Bundle { dir: string, spec: Spec }

export function loadBundle (dir: string | undefined): Bundle {
  const bundle = resolve(dir ?? process.cwd())
  const text = readDocument(resolve(bundle, 'config.json'), `bundle ${bundle}`, 'config.json')
  return { dir: bundle, spec: parseConfig(text, 'config.json') }
}
