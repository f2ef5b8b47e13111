/**
 * The POSIX path functions the hot commands need, behaving as node:path's
 * (posix) do, without node:path: its first use costs a bun executable
 * 0.77 M instructions of start-up (issue 11, docs/performance.md "The hot
 * commands without node:fs"). test/unit/path.test.ts checks each function
 * against node:path.
 */

/** Collapses `.`, `..` and repeated slashes; '..' never climbs above an absolute path's root. */
export function normalize (path: string): string {
  if (path === '') return '.'
  const absolute = path.startsWith('/')
  const trailingSlash = path.endsWith('/')
  const parts: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop()
      else if (!absolute) parts.push('..')
      continue
    }
    parts.push(part)
  }
  let out = parts.join('/')
  if (out === '' && !absolute) out = '.'
  if (out !== '' && out !== '.' && trailingSlash) out += '/'
  else if (out === '.' && trailingSlash) out = './'
  return absolute ? `/${out}` : out
}

export function join (...paths: string[]): string {
  const joined = paths.filter(p => p !== '').join('/')
  return joined === '' ? '.' : normalize(joined)
}

export function isAbsolute (path: string): boolean {
  return path.startsWith('/')
}

/** Everything before the last component (trailing slashes ignored); '.' when there is none. */
export function dirname (path: string): string {
  if (path === '') return '.'
  const trimmed = path.replace(/\/+$/, '')
  if (trimmed === '') return '/'
  const slash = trimmed.lastIndexOf('/')
  if (slash < 0) return '.'
  // As node's: only the last slash goes ('a//b' → 'a/').
  return slash === 0 ? '/' : trimmed.slice(0, slash)
}

/** The last component, trailing slashes ignored. */
export function basename (path: string): string {
  const trimmed = path.replace(/\/+$/, '')
  return trimmed.slice(trimmed.lastIndexOf('/') + 1)
}

/** An absolute, normalized path: the paths applied from the right until one is absolute, then the working directory. */
export function resolve (...paths: string[]): string {
  let resolved = ''
  for (let i = paths.length - 1; i >= 0 && !resolved.startsWith('/'); i--) {
    const path = paths[i]!
    if (path !== '') resolved = resolved === '' ? path : `${path}/${resolved}`
  }
  if (!resolved.startsWith('/')) resolved = resolved === '' ? process.cwd() : `${process.cwd()}/${resolved}`
  const out = normalize(resolved)
  return out.length > 1 ? out.replace(/\/+$/, '') : out
}

/** The path from `from` to `to`, both resolved first; '' when they are the same. */
export function relative (from: string, to: string): string {
  const fromParts = resolve(from).split('/').filter(p => p !== '')
  const toParts = resolve(to).split('/').filter(p => p !== '')
  let common = 0
  while (common < fromParts.length && common < toParts.length && fromParts[common] === toParts[common]) common++
  return [...fromParts.slice(common).map(() => '..'), ...toParts.slice(common)].join('/')
}
