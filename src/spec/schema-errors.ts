/**
 * Turns the errors of a generated schema validator into one message a user
 * can act on: the JSON Pointer of the offending value and what is wrong with
 * it, e.g. `/linux/namespaces/2/type: must be one of "cgroup", "ipc", ... (got "net")`.
 */
import type { SchemaError } from './generated/validator.js'
import { pointerTo, resolvePointer } from './json-pointer.js'

export interface SchemaProblem {
  /** JSON Pointer of the value the message is about. */
  pointer: string
  /** What is wrong, starting in lower case ("must be ...", "missing required property ..."). */
  detail: string
}

/** Keywords that only summarise errors found in their subschemas. */
const SUMMARY_KEYWORDS = new Set(['if', 'anyOf', 'oneOf', 'allOf', 'not', 'propertyNames'])

/**
 * The integer types of schema/defs.json, by the limit that an out-of-range
 * value breaks (a negative value for an unsigned type breaks minimum 0 and is
 * simply "negative").
 */
const INTEGER_TYPE_BY_LIMIT: ReadonlyMap<number, string> = new Map([
  [-2147483648, 'an int32 (-2147483648 to 2147483647)'],
  [2147483647, 'an int32 (-2147483648 to 2147483647)'],
  [-9223372036854775808, 'an int64 (-9223372036854775808 to 9223372036854775807)'],
  [9223372036854775807, 'an int64 (-9223372036854775808 to 9223372036854775807)'],
  [255, 'a uint8 (0 to 255)'],
  [65535, 'a uint16 (0 to 65535)'],
  [4294967295, 'a uint32 (0 to 4294967295)'],
  [18446744073709551615, 'a uint64 (0 to 18446744073709551615)']
])

/**
 * The single most useful problem among `errors` (as left by a validator on
 * `document`): summaries such as "must match \"then\" schema" are dropped in
 * favour of the errors they summarise, and the most deeply nested remains.
 */
export function describeSchemaErrors (
  errors: readonly SchemaError[],
  document: unknown,
  patternDescriptions: Readonly<Record<string, string>>
): SchemaProblem {
  const specific = errors.filter(e => !SUMMARY_KEYWORDS.has(e.keyword))
  const candidates = specific.length > 0 ? specific : errors
  if (candidates.length === 0) return { pointer: '', detail: 'does not match the schema' }
  // The deepest error (the first of equals) says most about what is wrong.
  const best = candidates.reduce((deepest, e) => depth(e.instancePath) > depth(deepest.instancePath) ? e : deepest)
  return describeSchemaError(best, document, patternDescriptions)
}

function depth (pointer: string): number {
  let n = 0
  for (let i = pointer.indexOf('/'); i !== -1; i = pointer.indexOf('/', i + 1)) n++
  return n
}

/** One error in words. */
export function describeSchemaError (
  error: SchemaError,
  document: unknown,
  patternDescriptions: Readonly<Record<string, string>>
): SchemaProblem {
  const pointer = error.instancePath
  const params = error.params
  // ajv reports an invalid property *name* on the containing object, with the name attached.
  const propertyName = (error as SchemaError & { propertyName?: string }).propertyName
  const value = propertyName !== undefined ? propertyName : resolvePointer(document, pointer)
  const got = ` (got ${shortJson(value)})`
  const subject = propertyName !== undefined ? `property name ${JSON.stringify(propertyName)} ` : ''

  switch (error.keyword) {
    case 'required':
      return { pointer, detail: `missing required property ${JSON.stringify(params.missingProperty)}` }
    case 'dependencies':
      return {
        pointer,
        detail: `${JSON.stringify(params.property)} requires ${JSON.stringify(params.missingProperty)} to be set as well`
      }
    case 'type':
      return { pointer, detail: `expected ${describeType(String(params.type))}, got ${describeValue(value)}` }
    case 'enum':
      return {
        pointer,
        detail: `${subject}must be one of ${(params.allowedValues as unknown[]).map(v => JSON.stringify(v)).join(', ')}${got}`
      }
    case 'const':
      return { pointer, detail: `${subject}must be ${JSON.stringify(params.allowedValue)}${got}` }
    case 'pattern': {
      const meaning = patternDescriptions[params.pattern] ?? `must match the pattern ${params.pattern}`
      return { pointer, detail: `${subject}${meaning}${got}` }
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const integerType = INTEGER_TYPE_BY_LIMIT.get(params.limit)
      const detail = error.keyword === 'minimum' && params.limit === 0
        ? 'must not be negative'
        : integerType !== undefined ? `must be ${integerType}` : `must be ${params.comparison} ${params.limit}`
      return { pointer, detail: `${detail}${got}` }
    }
    case 'minItems':
      return { pointer, detail: params.limit === 1 ? 'must not be empty' : `must have at least ${params.limit} items` }
    case 'minLength':
      return { pointer, detail: params.limit === 1 ? `${subject}must not be empty` : `${subject}must have at least ${params.limit} characters` }
    case 'additionalProperties':
      return { pointer: pointerTo(pointer, params.additionalProperty), detail: 'is not a property defined by the specification' }
    default:
      return { pointer, detail: `${subject}${error.message ?? `fails the schema keyword "${error.keyword}"`}` }
  }
}

/** "string" -> "a string", "array,null" -> "an array or null". */
function describeType (type: string): string {
  return type.split(',').map(t => t === 'null' ? 'null' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`).join(' or ')
}

/** `value` as (at most about 60 characters of) JSON. */
function shortJson (value: unknown): string {
  const json = value === undefined ? 'nothing' : JSON.stringify(value)
  return json.length > 60 ? json.slice(0, 57) + '...' : json
}

/** A short description of a JSON value for "expected X, got Y" clauses. */
export function describeValue (value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'object': return 'an object'
    case 'string': return value.length > 60 ? `the string ${JSON.stringify(value.slice(0, 57))}...` : `the string ${JSON.stringify(value)}`
    case 'number': return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`
    default: return String(value)
  }
}
