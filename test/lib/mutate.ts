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
