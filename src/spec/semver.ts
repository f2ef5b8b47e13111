/** SemVer 2.0.0 (https://semver.org/spec/v2.0.0.html), as config.md#specification-version requires. */

export interface SemVer {
  major: number
  minor: number
  patch: number
  /** Dot-separated pre-release identifiers, [] for a release. */
  prerelease: string[]
}

const NUMERIC = '0|[1-9][0-9]*'
const IDENTIFIER = `${NUMERIC}|[0-9]*[A-Za-z-][0-9A-Za-z-]*`
const SEMVER = new RegExp(
  `^(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
  `(?:-((?:${IDENTIFIER})(?:\\.(?:${IDENTIFIER}))*))?` +
  '(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$'
)

/** Parses a SemVer 2.0.0 string; undefined if it is not one. */
export function parseSemVer (text: string): SemVer | undefined {
  const m = SEMVER.exec(text)
  if (m === null) return undefined
  return {
    major: Number(m[1]),
    minor: Number(m[2]),
    patch: Number(m[3]),
    prerelease: m[4] === undefined ? [] : m[4].split('.')
  }
}

/** Negative if a < b, 0 if they have the same precedence, positive if a > b (semver.org item 11). */
export function compareSemVer (a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch
  if (core !== 0) return Math.sign(core)
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return Math.sign(b.prerelease.length - a.prerelease.length) // a release outranks its pre-releases
  }
  for (const [i, x] of a.prerelease.entries()) {
    const y = b.prerelease[i]
    if (y === undefined) break
    if (x === y) continue
    const xNumeric = /^[0-9]+$/.test(x)
    const yNumeric = /^[0-9]+$/.test(y)
    if (xNumeric && yNumeric) return Math.sign(Number(x) - Number(y))
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1
    return x < y ? -1 : 1
  }
  return Math.sign(a.prerelease.length - b.prerelease.length)
}
