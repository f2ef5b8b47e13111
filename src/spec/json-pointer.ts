/** JSON Pointers (RFC 6901), the way errors name the offending value. */

/** Escapes one reference token: "~" -> "~0", "/" -> "~1". */
export function escapeToken (token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1')
}

/** `pointer` extended by `tokens`: pointerTo('/linux', 'sysctl', 'net/ipv4') is '/linux/sysctl/net~1ipv4'. */
export function pointerTo (pointer: string, ...tokens: Array<string | number>): string {
  let out = pointer
  for (const token of tokens) out += '/' + escapeToken(token)
  return out
}

/** The value `pointer` designates in `document`, or undefined if there is none. */
export function resolvePointer (document: unknown, pointer: string): unknown {
  if (pointer === '') return document
  let value: unknown = document
  for (const raw of pointer.slice(1).split('/')) {
    if (value === null || typeof value !== 'object') return undefined
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    value = (value as Record<string, unknown>)[token]
  }
  return value
}
