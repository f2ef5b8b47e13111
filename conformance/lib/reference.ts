/**
 * Where the runtime-spec v1.3.0 reference (text, official schema, test
 * vectors) is: $SPEC_REFERENCE, else shared/reference/ beside the checkout
 * (where CI puts it). A clone elsewhere may have neither: then
 * SPEC_REFERENCE_MISSING says why, and the tests that need the reference
 * skip with that reason while the rest run.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const candidate = process.env.SPEC_REFERENCE !== undefined && process.env.SPEC_REFERENCE !== ''
  ? process.env.SPEC_REFERENCE
  : join(repo, '..', 'shared', 'reference', 'runtime-spec-v1.3.0')

export const SPEC_REFERENCE: string = candidate
export const SPEC_SCHEMA_DIR: string = join(SPEC_REFERENCE, 'schema')
/** false when the reference is present, else the reason to give tap's skip. */
export const SPEC_REFERENCE_MISSING: string | false = existsSync(SPEC_SCHEMA_DIR)
  ? false
  : `the runtime-spec reference is not at ${SPEC_REFERENCE} (set $SPEC_REFERENCE to it)`
