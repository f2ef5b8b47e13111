/**
 * Random, seeded damage to JSON documents, for the property tests: deleted
 * keys, values of the wrong type, values moved to the wrong place, added keys.
 */

/** mulberry32: a small seeded PRNG. */
export function prng (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

/** A random element of a non-empty list. */
export function pick<T> (items: readonly T[], random: () => number): T {
  return cyclic(items, Math.floor(random() * items.length))
}

/** The i-th element of a non-empty list, counting round it again and again. */
export function cyclic<T> (items: readonly T[], i: number): T {
  const item = items[i % items.length]
  if (item === undefined) throw new Error('an element of an empty list')
  return item
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

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

export function mutate (document: Json, random: () => number): void {
  const pickOne = <T>(items: readonly T[]): T => pick(items, random)
  const targets = containers(document)
  const target = pickOne(targets)
  const keys = Object.keys(target)
  const operation = random()
  if (keys.length > 0 && operation < 0.35) {
    const key = pickOne(keys)
    if (Array.isArray(target)) target.splice(Number(key), 1)
    else delete target[key]
  } else if (keys.length > 0 && operation < 0.8) {
    const key = pickOne(keys)
    const replacement = structuredClone(pickOne(REPLACEMENTS))
    if (Array.isArray(target)) target[Number(key)] = replacement
    else target[key] = replacement
  } else if (keys.length > 0 && operation < 0.9) {
    // move a value of one place to another: plausible shapes in the wrong places
    const source = pickOne(targets)
    const sourceEntries: Array<[string, Json]> = Object.entries(source)
    if (sourceEntries.length === 0) return
    const [, picked] = pickOne(sourceEntries)
    const value = structuredClone(picked)
    if (Array.isArray(target)) target[Number(pickOne(keys))] = value
    else target[pickOne(keys)] = value
  } else if (!Array.isArray(target)) {
    // defineProperty, so that "__proto__" becomes an own key as JSON.parse would make it
    Object.defineProperty(target, pickOne(['type', 'path', 'options', 'uidMappings', 'timeOffsets', '__proto__', 'constructor', 'x']),
      { value: structuredClone(pickOne(REPLACEMENTS)), enumerable: true, writable: true, configurable: true })
  } else {
    target.push(structuredClone(pickOne(REPLACEMENTS)))
  }
}
