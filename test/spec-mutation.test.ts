/**
 * Property: whatever is wrong with a config.json, parseConfig either returns
 * or throws a ConfigError - never a TypeError from a check that trusted a
 * shape the schema did not guarantee. Random mutations (deleted keys,
 * changed types, added keys, damaged text) of real configs, from a seeded
 * generator so that failures reproduce.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../src/errors.js'
import { lintConfig, parseConfig, parseProcess } from '../src/spec/validate.js'

const seeds = ['runc-1.1.5-spec.json', 'crun-1.8.1-spec-rootless.json', 'podman-4.3-run.json', 'containerd-1.6-cri-container.json']
  .map(name => ({ name, text: readFileSync(new URL(`./fixtures/configs/${name}`, import.meta.url), 'utf8') }))

/** mulberry32: a small seeded PRNG. */
function prng (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const REPLACEMENTS: Json[] = [
  null, true, false, 0, -1, 1.5, 2 ** 53, 18446744073709551615, -9223372036854775808, 1e300,
  '', 'x', '/', '..', 'CAP_X', 'RLIMIT_X', '0-', [], [null], [''], {}, { '': '' }, { type: 'pid' }
]

/** Every container (object or array) in `value`, with the keys of its children. */
function containers (value: Json, out: Array<{ [key: string]: Json } | Json[]> = []): Array<{ [key: string]: Json } | Json[]> {
  if (value !== null && typeof value === 'object') {
    out.push(value)
    for (const child of Object.values(value)) containers(child, out)
  }
  return out
}

function mutate (document: Json, random: () => number): void {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
  const targets = containers(document)
  const target = pick(targets)
  const keys = Object.keys(target)
  const operation = random()
  if (keys.length > 0 && operation < 0.35) {
    const key = pick(keys)
    if (Array.isArray(target)) target.splice(Number(key), 1)
    else delete target[key]
  } else if (keys.length > 0 && operation < 0.8) {
    const key = pick(keys)
    const replacement = structuredClone(pick(REPLACEMENTS))
    if (Array.isArray(target)) target[Number(key)] = replacement
    else target[key] = replacement
  } else if (keys.length > 0 && operation < 0.9) {
    // move a value of one place to another: plausible shapes in the wrong places
    const source = pick(targets)
    const sourceKeys = Object.keys(source)
    if (sourceKeys.length === 0) return
    const value = structuredClone((source as Record<string, Json>)[pick(sourceKeys)])
    if (Array.isArray(target)) target[Number(pick(keys))] = value
    else target[pick(keys)] = value
  } else if (!Array.isArray(target)) {
    // defineProperty, so that "__proto__" becomes an own key as JSON.parse would make it
    Object.defineProperty(target, pick(['type', 'path', 'options', 'uidMappings', 'timeOffsets', '__proto__', 'constructor', 'x']),
      { value: structuredClone(pick(REPLACEMENTS)), enumerable: true, writable: true, configurable: true })
  } else {
    target.push(structuredClone(pick(REPLACEMENTS)))
  }
}

function damageText (text: string, random: () => number): string {
  const at = Math.floor(random() * text.length)
  switch (Math.floor(random() * 3)) {
    case 0: return text.slice(0, at)
    case 1: return text.slice(0, at) + pick(['{', '}', ']', ',', '"', '\\', 'x', '\u0000'], random) + text.slice(at)
    default: return text.slice(0, at) + text.slice(at + 1)
  }
}

function pick<T> (items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]
}

/** Runs `fn` and reports anything thrown that is not a ConfigError. */
function onlyConfigErrors (fn: () => void): unknown {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof ConfigError)) return e
  }
  return undefined
}

t.test('mutated configs only ever fail with ConfigError', async t => {
  const random = prng(20240613)
  const runs = 3000
  let accepted = 0
  const unexpected: Array<{ seed: string, config: string, error: string }> = []
  for (let i = 0; i < runs; i++) {
    const seed = seeds[i % seeds.length]
    const document = JSON.parse(seed.text) as Json
    const mutations = 1 + Math.floor(random() * 4)
    for (let m = 0; m < mutations; m++) mutate(document, random)
    const text = JSON.stringify(document)
    const error = onlyConfigErrors(() => {
      const spec = parseConfig(text)
      lintConfig(spec)
      accepted++
    })
    if (error !== undefined) unexpected.push({ seed: seed.name, config: text, error: String((error as Error)?.stack ?? error) })
  }
  const rejected = runs - accepted - unexpected.length
  t.same(unexpected.slice(0, 3), [], 'no error other than ConfigError')
  t.ok(accepted > 0 && rejected > 0, `both outcomes occur (accepted ${accepted}, rejected ${rejected})`)
})

t.test('mutated process documents only ever fail with ConfigError', async t => {
  const random = prng(7)
  const unexpected: unknown[] = []
  for (let i = 0; i < 1000; i++) {
    const process = (JSON.parse(seeds[i % seeds.length].text) as { process: Json }).process
    for (let m = 0; m < 3; m++) mutate(process, random)
    const error = onlyConfigErrors(() => parseProcess(JSON.stringify(process), 'process.json'))
    if (error !== undefined) unexpected.push(error)
  }
  t.same(unexpected.slice(0, 3), [])
})

t.test('damaged JSON text only ever fails with ConfigError', async t => {
  const random = prng(99)
  const unexpected: unknown[] = []
  for (let i = 0; i < 1000; i++) {
    const text = damageText(seeds[i % seeds.length].text, random)
    const error = onlyConfigErrors(() => parseConfig(text))
    if (error !== undefined) unexpected.push(error)
  }
  t.same(unexpected.slice(0, 3), [])
})
