#!/usr/bin/env node
/**
 * Compiles ocirt's JSON Schemas (schema/*.json) into standalone ESM validators
 * in src/spec/generated/, so that run time never loads ajv or compiles a schema.
 *
 *   node scripts/build-validator.mjs            rebuild if a schema (or this script) changed
 *   node scripts/build-validator.mjs --force    always rebuild
 *
 * Outputs, each with a .d.ts beside it:
 *   config-validator.js    validateConfig (config.json), validateProcess (exec --process)
 *   state-validator.js     validateState (runtime.md#state)
 *   features-validator.js  validateFeatures (features.md)
 *   validator.d.ts         the SchemaError / SchemaValidator types shared by the three
 *
 * Every module also exports `patternDescriptions`: for each `pattern` in the
 * schemas, the human meaning given by its sibling `patternDescription`
 * annotation, used to turn a pattern mismatch into a readable error.
 */
import { readFileSync, writeFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const schemaDir = join(repo, 'schema')
const outDir = join(repo, 'src', 'spec', 'generated')
const ID_BASE = 'https://schemas.ocirt.dev/runtime-spec/v1.3.0/'

/**
 * @typedef {{ ref: string, type: string, doc: string }} ValidatorExport
 * @typedef {{ dataTypes: string[], exports: Record<string, ValidatorExport> }} ValidatorModule
 */

/**
 * Exported function name -> schema reference, per generated module.
 * @type {Record<string, ValidatorModule>}
 */
const MODULES = {
  'config-validator': {
    dataTypes: ['Spec', 'Process', 'LinuxResources'],
    exports: {
      validateConfig: { ref: 'config-schema.json', type: 'Spec', doc: 'Validates a parsed config.json (config.md) against schema/config-schema.json.' },
      validateProcess: { ref: 'config-schema.json#/definitions/Process', type: 'Process', doc: 'Validates a parsed process document (`exec --process`, config.md#process).' },
      validateResources: { ref: 'config-linux.json#/definitions/LinuxResources', type: 'LinuxResources', doc: 'Validates a parsed linux.resources document (`update --resources`, config-linux.md#control-groups).' }
    }
  },
  'state-validator': {
    dataTypes: ['State'],
    exports: {
      validateState: { ref: 'state-schema.json', type: 'State', doc: 'Validates a parsed container state (runtime.md#state) against schema/state-schema.json.' }
    }
  },
  'features-validator': {
    dataTypes: ['Features'],
    exports: {
      validateFeatures: { ref: 'features-schema.json', type: 'Features', doc: 'Validates a parsed Features structure (features.md) against schema/features-schema.json.' }
    }
  }
}

/** Annotation keywords: kept in schema/ for readers, dropped from the generated code. */
const ANNOTATIONS = new Set(['title', 'description', '$comment', 'examples', 'patternDescription'])
/** Keywords whose value is a map of name -> subschema (names must not be mistaken for keywords). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs'])
/** Keywords whose value is a subschema or an array of subschemas. */
const SCHEMA_VALUES = new Set(['items', 'additionalItems', 'additionalProperties', 'propertyNames', 'contains', 'not', 'if', 'then', 'else', 'allOf', 'anyOf', 'oneOf'])

async function main () {
  const force = process.argv.includes('--force')
  const schemaFiles = readdirSync(schemaDir).filter(f => f.endsWith('.json')).sort()
  const outputs = Object.keys(MODULES).flatMap(m => [`${m}.js`, `${m}.d.ts`]).concat('validator.d.ts')
  if (!force && upToDate(schemaFiles, outputs)) {
    return
  }

  // Loaded only when there is something to build, so that the staleness check stays cheap
  // (npm test and npm run typecheck run this script first).
  // Both are CommonJS: Node's default export is module.exports, and its `default` is the
  // class or function (as ajv's own types declare it).
  const { default: { default: Ajv } } = await import('ajv')
  const { default: { default: standaloneCode } } = await import('ajv/dist/standalone/index.js')
  /** @type {Record<string, string>} */
  const patternDescriptions = {}
  const ajv = new Ajv({
    code: { source: true, esm: true },
    allErrors: false,
    inlineRefs: false, // one shared function per definition: less code to load than inlining each $ref
    strict: true,
    strictRequired: false, // `then: { required: [...] }` names properties declared beside the `if`
    allowUnionTypes: true,
    // minLength via String#length instead of importing ajv/dist/runtime/ucs2length:
    // the only length limit we use is "non-empty", where the two agree.
    unicode: false,
    logger: { log: console.log, error: console.error, warn: quietAboutUnicodeOption }
  })
  for (const file of schemaFiles) {
    const schema = JSON.parse(readFileSync(join(schemaDir, file), 'utf8'))
    if (schema.$id !== ID_BASE + file) {
      throw new Error(`schema/${file}: $id must be ${ID_BASE + file}, found ${schema.$id}`)
    }
    // A schema file is a JSON object, and stays one without its annotations.
    ajv.addSchema(/** @type {import('ajv').SchemaObject} */ (stripAnnotations(schema, `schema/${file}`, patternDescriptions)))
  }

  mkdirSync(outDir, { recursive: true })
  const started = process.hrtime.bigint()
  for (const [moduleName, spec] of Object.entries(MODULES)) {
    const refs = Object.fromEntries(Object.entries(spec.exports).map(([name, e]) => [name, ID_BASE + e.ref]))
    for (const [name, id] of Object.entries(refs)) {
      if (ajv.getSchema(id) === undefined) throw new Error(`${name}: cannot resolve ${id}`)
    }
    const code = standaloneCode(ajv, refs)
    assertSelfContained(moduleName, code)
    writeFileSync(join(outDir, `${moduleName}.js`), javascriptModule(code, patternDescriptions))
    writeFileSync(join(outDir, `${moduleName}.d.ts`), declarations(spec))
  }
  writeFileSync(join(outDir, 'validator.d.ts'), sharedDeclarations())
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  console.log(`build-validator: ${schemaFiles.length} schemas -> src/spec/generated/ (${ms.toFixed(0)} ms)`)
}

/**
 * ajv deprecates `unicode: false`, which we rely on on purpose (see above).
 * @param {unknown[]} args
 */
function quietAboutUnicodeOption (...args) {
  if (!String(args[0]).startsWith('DEPRECATED: option unicode')) console.warn(...args)
}

/**
 * True if every output exists and is newer than every schema and this script.
 * @param {string[]} schemaFiles
 * @param {string[]} outputs
 * @returns {boolean}
 */
function upToDate (schemaFiles, outputs) {
  const inputs = schemaFiles.map(f => join(schemaDir, f)).concat(fileURLToPath(import.meta.url))
  const newestInput = Math.max(...inputs.map(f => statSync(f).mtimeMs))
  return outputs.every(f => {
    const p = join(outDir, f)
    return existsSync(p) && statSync(p).mtimeMs >= newestInput
  })
}

/**
 * Returns a copy of `schema` without annotation keywords, recording each
 * pattern's patternDescription. A pattern without one is a build error: every
 * pattern mismatch must be explainable to the user.
 * @param {unknown} schema
 * @param {string} where
 * @param {Record<string, string>} patternDescriptions
 * @returns {unknown}
 */
function stripAnnotations (schema, where, patternDescriptions) {
  if (Array.isArray(schema)) return schema.map((s, i) => stripAnnotations(s, `${where}/${i}`, patternDescriptions))
  if (schema === null || typeof schema !== 'object') return schema
  const node = asObject(schema, where)
  if (typeof node.pattern === 'string') {
    const meaning = node.patternDescription
    if (typeof meaning !== 'string') throw new Error(`${where}: pattern ${node.pattern} has no patternDescription`)
    const known = patternDescriptions[node.pattern]
    if (known !== undefined && known !== meaning) throw new Error(`${where}: pattern ${node.pattern} is described in two ways`)
    patternDescriptions[node.pattern] = meaning
  }
  /** @type {Record<string, unknown>} */
  const out = {}
  for (const [key, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(key)) continue
    if (SCHEMA_MAPS.has(key)) {
      out[key] = Object.fromEntries(Object.entries(asObject(value, `${where}/${key}`)).map(([name, sub]) =>
        [name, stripAnnotations(sub, `${where}/${key}/${name}`, patternDescriptions)]))
    } else if (SCHEMA_VALUES.has(key) || (key === 'dependencies' && !Array.isArray(value))) {
      out[key] = key === 'dependencies'
        ? Object.fromEntries(Object.entries(asObject(value, `${where}/dependencies`)).map(([name, dep]) =>
          [name, Array.isArray(dep) ? dep : stripAnnotations(dep, `${where}/dependencies/${name}`, patternDescriptions)]))
        : stripAnnotations(value, `${where}/${key}`, patternDescriptions)
    } else {
      out[key] = value
    }
  }
  return out
}

/**
 * A schema, or the value of a keyword that maps names to schemas: a JSON object.
 * @param {unknown} value
 * @param {string} where
 * @returns {Record<string, unknown>}
 */
function asObject (value, where) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: must be an object`)
  return /** @type {Record<string, unknown>} */ (value)
}

/**
 * The generated code must run without ajv: no require() of ajv runtime helpers.
 * @param {string} moduleName
 * @param {string} code
 */
function assertSelfContained (moduleName, code) {
  const imports = code.match(/require\([^)]*\)|\bimport\b[^;]*from\s*["'][^"']+["']/g)
  if (imports !== null) {
    throw new Error(`${moduleName}: generated code depends on ${[...new Set(imports)].join(', ')}; ` +
      'avoid the schema keyword that needs it or inline the helper')
  }
}

/**
 * @param {string} code
 * @param {Record<string, string>} patternDescriptions
 * @returns {string}
 */
function javascriptModule (code, patternDescriptions) {
  return '// Generated by scripts/build-validator.mjs from schema/*.json. Do not edit.\n' +
    // ajv's code is not written to be type-checked; its types are the .d.ts beside it (checkJs is on in tsconfig.json).
    '// @ts-nocheck\n' +
    code + '\n' +
    '/** pattern (as written in the schema) -> what a matching value looks like */\n' +
    `export const patternDescriptions = Object.freeze(${JSON.stringify(patternDescriptions, null, 2)});\n`
}

/**
 * @param {ValidatorModule} spec
 * @returns {string}
 */
function declarations (spec) {
  const lines = [
    '// Generated by scripts/build-validator.mjs from schema/*.json. Do not edit.',
    `import type { ${spec.dataTypes.join(', ')} } from '../types.js'`,
    "import type { SchemaValidator } from './validator.js'",
    "export type { SchemaError, SchemaValidator } from './validator.js'",
    ''
  ]
  for (const [name, e] of Object.entries(spec.exports)) {
    lines.push(`/** ${e.doc} On failure, \`${name}.errors\` holds the first error. */`)
    lines.push(`export declare const ${name}: SchemaValidator<${e.type}>`)
    lines.push('')
  }
  lines.push('/** For each `pattern` used in the schemas, what a matching value looks like ("must be ..."). */')
  lines.push('export declare const patternDescriptions: Readonly<Record<string, string>>')
  return lines.join('\n') + '\n'
}

/** @returns {string} */
function sharedDeclarations () {
  return `// Generated by scripts/build-validator.mjs. Do not edit.

/** One schema violation, as reported by the generated (ajv standalone) code. */
export interface SchemaError {
  /** JSON Pointer (RFC 6901) of the offending value; '' is the document root. */
  instancePath: string
  /** Where in the schema the failing keyword is, e.g. 'defs.json#/definitions/uint32/maximum'. */
  schemaPath: string
  /** The failing keyword: 'type', 'required', 'enum', 'pattern', ... */
  keyword: string
  /** Keyword-specific details, e.g. { missingProperty } for 'required', { allowedValues } for 'enum'. */
  params: Record<string, any>
  /** ajv's own terse English message. */
  message?: string
}

/** A compiled schema: a type guard that leaves its errors on the function object. */
export interface SchemaValidator<T> {
  (data: unknown): data is T
  /** null after a successful call; the errors of the last failed call otherwise. */
  errors: SchemaError[] | null
}
`
}

await main()
