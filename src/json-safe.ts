/**
 * A JSON.stringify replacer for plans: bigints become strings and byte
 * arrays their length, as JSON has neither (a Buffer reaches a replacer
 * already turned into { type: 'Buffer', data: [...] } by its toJSON).
 */
export function jsonSafe (_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return { bytes: value.length }
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return { bytes: (value as { data: unknown[] }).data.length }
  }
  return value
}
