/**
 * Reading the spec's JSON documents: parse, check against ocirt's schema
 * (compiled at build time by scripts/build-validator.mjs, so nothing is
 * compiled here), then check the semantic MUSTs. Every failure is a
 * ConfigError naming the file and the JSON Pointer of the offending value:
 *
 *   config.json: /linux/namespaces/2/type: must be one of "cgroup", "ipc", ... (got "net")
 */
import { ConfigError } from '../errors.js'
import { validateConfig, validateProcess, validateResources, patternDescriptions } from './generated/config-validator.js'
import { validateState } from './generated/state-validator.js'
import { validateFeatures } from './generated/features-validator.js'
import type { SchemaValidator } from './generated/validator.js'
import { parseJsonText } from './json-text.js'
import { describeSchemaErrors } from './schema-errors.js'
import { checkConfig, checkFeatures, checkProcess } from './semantic.js'
import type { Features, LinuxResources, Process, Spec, State } from './types.js'

export { JsonSyntaxError } from './json-text.js'
export { lintConfig, requireProcess } from './semantic.js'

/**
 * Parses and validates the text of a config.json. The result conforms to the
 * schema and to the Linux semantic rules; `process` may still be absent
 * (see requireProcess for `start`).
 */
export function parseConfig (text: string, file = 'config.json'): Spec {
  const spec = parseWithSchema(text, file, validateConfig)
  checkConfig(spec, file)
  return spec
}

/** Parses and validates the process document of `exec --process FILE` (config.md#process). */
export function parseProcess (text: string, file: string): Process {
  const process = parseWithSchema(text, file, validateProcess)
  checkProcess(process, file, '')
  return process
}

/** Parses and validates a linux.resources document (`update --resources`). */
export function parseResources (text: string, file: string): LinuxResources {
  return parseWithSchema(text, file, validateResources)
}

/** Parses and validates a container state document (runtime.md#state). */
export function parseState (text: string, file = 'state.json'): State {
  return parseWithSchema(text, file, validateState)
}

/** Parses and validates a Features structure (features.md). */
export function parseFeatures (text: string, file = 'features.json'): Features {
  const features = parseWithSchema(text, file, validateFeatures)
  checkFeatures(features, file)
  return features
}

/** Checks an already parsed value against a schema, throwing a ConfigError for the most relevant problem. */
export function assertSchema<T> (value: unknown, file: string, validate: SchemaValidator<T>): asserts value is T {
  if (validate(value)) return
  const { pointer, detail } = describeSchemaErrors(validate.errors ?? [], value, patternDescriptions)
  throw new ConfigError(file, pointer, detail)
}

function parseWithSchema<T> (text: string, file: string, validate: SchemaValidator<T>): T {
  const value = parseJsonText(text, file)
  assertSchema(value, file, validate)
  return value
}
