/**
 * Fields of config.json this build cannot apply yet. runtime.md "Create": a
 * property the runtime cannot apply MUST make create fail, so each one here
 * is an error that names its JSON path, never silently dropped.
 */
import { ConfigError } from '../errors.js'
import type { Spec } from '../spec/types.js'

export function checkSpecSupported (spec: Spec): void {
  const linux = spec.linux ?? {}
  for (const key of ['memoryPolicy', 'intelRdt', 'netDevices'] as const) {
    if (linux[key] !== undefined) throw new ConfigError('config.json', `/linux/${key}`, 'not supported yet by this build of ocirt')
  }
}
