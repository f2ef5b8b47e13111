/**
 * Where the runtime-spec v1.3.0 reference (text, official schema, test
 * vectors) is: $SPEC_REFERENCE, else shared/ beside the checkout, else the
 * team's /work/shared.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const candidates = [
  process.env.SPEC_REFERENCE,
  join(repo, '..', 'shared', 'reference', 'runtime-spec-v1.3.0'),
  '/work/shared/reference/runtime-spec-v1.3.0',
].filter((c): c is string => c !== undefined && c !== '')

export const SPEC_REFERENCE: string = candidates.find(c => existsSync(join(c, 'schema'))) ?? candidates[candidates.length - 1]
export const SPEC_SCHEMA_DIR: string = join(SPEC_REFERENCE, 'schema')
