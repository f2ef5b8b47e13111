/**
 * What main() needs to run a command beyond the entry chunk (CommandSupport
 * in types.ts): every command module re-exports `support`, so it loads with
 * the command's code by the same import().
 */
import { describeFsError } from '../fs-errors.js'
import { Logger } from '../log.js'
import { defaultStateRoot, resolveRootless } from './privilege.js'

export const support = { Logger, defaultStateRoot, resolveRootless, describeFsError }
