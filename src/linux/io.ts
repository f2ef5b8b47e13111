/**
 * The subset of node:fs that the hot commands (state, kill, start, delete,
 * list, --version, and create, run, exec) and the modules they load use, over the addon's file
 * syscalls (native/file_io.cc). The first use of bun's node:fs costs a
 * compiled executable 2.6 M instructions of start-up; loading the addon costs
 * 0.44 M, and kill, start and delete load it anyway (issue 11,
 * docs/performance.md "The hot commands without node:fs").
 *
 * Each function is named, takes the arguments and behaves as its node:fs
 * namesake for the uses in src/, and fails with the error node:fs would
 * throw: `code` ('ENOENT', ...), `errno` (negative), `syscall`, `path` and
 * the message "ENOENT: no such file or directory, open '/x'", which callers,
 * src/errors.ts and src/fs-errors.ts read. test/unit/io.test.ts compares them.
 */
import { ERRNO_DESCRIPTIONS, ERRNO_NAMES, FS_CONSTANTS } from './fs-constants.generated.js'
import { loadNative } from '../native.js'
import { join } from './path.js'

export const constants = FS_CONSTANTS

/** errno → its name as node gives it (the first in number order: EAGAIN, not EWOULDBLOCK). */
function errnoName (errno: number): string {
  return ERRNO_NAMES[errno] ?? 'UNKNOWN'
}

/** The number of an errno name that ERRNO_NAMES lists. */
function errnoNumber (name: string): number {
  return ERRNO_NAMES.indexOf(name)
}

/** node:fs's error for a failed syscall: "CODE: words, syscall 'path' -> 'dest'". */
function fsError (errno: number, syscall: string, path?: string, dest?: string): NodeJS.ErrnoException & { dest?: string } {
  const code = errnoName(errno)
  const words = ERRNO_DESCRIPTIONS[errno] ?? loadNative().strerror(errno).toLowerCase()
  const where = `${path !== undefined ? ` '${path}'` : ''}${dest !== undefined ? ` -> '${dest}'` : ''}`
  const e: NodeJS.ErrnoException & { dest?: string } = new Error(`${code}: ${words}, ${syscall}${where}`)
  e.code = code
  if (path !== undefined) e.path = path
  if (dest !== undefined) e.dest = dest
  e.syscall = syscall
  e.errno = -errno
  return e
}

/** A result of the addon's file calls: a negative number is -errno. */
function check<T> (result: T | number, syscall: string, path?: string, dest?: string): T {
  if (typeof result === 'number' && result < 0) throw fsError(-result, syscall, path, dest)
  return result as T
}

export interface Stats {
  mode: number
  uid: number
  gid: number
  size: number
  ino: number
  dev: number
  nlink: number
  rdev: number
  mtimeMs: number
  isFile: () => boolean
  isDirectory: () => boolean
  isSymbolicLink: () => boolean
}

function toStats (fields: number[]): Stats {
  const [mode = 0, uid = 0, gid = 0, size = 0, ino = 0, dev = 0, nlink = 0, rdev = 0, mtimeMs = 0] = fields
  const type = mode & FS_CONSTANTS.S_IFMT
  return {
    mode,
    uid,
    gid,
    size,
    ino,
    dev,
    nlink,
    rdev,
    mtimeMs,
    isFile: () => type === FS_CONSTANTS.S_IFREG,
    isDirectory: () => type === FS_CONSTANTS.S_IFDIR,
    isSymbolicLink: () => type === FS_CONSTANTS.S_IFLNK,
  }
}

export function statSync (path: string): Stats {
  return toStats(check(loadNative().fileStat(path, true), 'stat', path))
}

export function lstatSync (path: string): Stats {
  return toStats(check(loadNative().fileStat(path, false), 'lstat', path))
}

export function fstatSync (fd: number): Stats {
  return toStats(check(loadNative().fileStat(fd, false), 'fstat'))
}

/** node's string flags for the modes src/ uses. */
const STRING_FLAGS: Readonly<Record<string, number>> = {
  r: FS_CONSTANTS.O_RDONLY,
  w: FS_CONSTANTS.O_TRUNC | FS_CONSTANTS.O_CREAT | FS_CONSTANTS.O_WRONLY,
  a: FS_CONSTANTS.O_APPEND | FS_CONSTANTS.O_CREAT | FS_CONSTANTS.O_WRONLY,
}

export function openSync (path: string, flags: string | number = 'r', mode = 0o666): number {
  const bits = typeof flags === 'number' ? flags : STRING_FLAGS[flags]
  if (bits === undefined) throw new TypeError(`openSync: flags ${flags} not supported by src/linux/io.ts`)
  return check(loadNative().fileOpen(path, bits, mode), 'open', path)
}

export function closeSync (fd: number): void {
  check(loadNative().fileClose(fd), 'close')
}

/** The whole file (from an fd: from its offset) as UTF-8 text; only 'utf8' is supported. */
export function readFileSync (file: string | number, encoding: 'utf8'): string {
  void encoding
  if (typeof file === 'number') return check(loadNative().fileReadAll(file), 'read')
  const fd = openSync(file, 'r')
  try {
    return check(loadNative().fileReadAll(fd), 'read')
  } finally {
    closeSync(fd)
  }
}

/** One read(2) into buffer[offset, offset + length) from the fd's offset (node's position null); the bytes read, 0 at its end. */
export function readSync (fd: number, buffer: Uint8Array, offset: number, length: number, position: null): number {
  void position
  return check(loadNative().fileRead(fd, buffer, offset, length), 'read')
}

/** One write(2) of `data` (a string's UTF-8 bytes, or bytes from `offset`); returns the bytes written. */
export function writeSync (fd: number, data: string | Uint8Array, offset = 0): number {
  return check(loadNative().fileWrite(fd, data, typeof data === 'string' ? 0 : offset), 'write')
}

function writeWhole (path: string, data: string, flags: string | number, mode: number): void {
  const fd = openSync(path, flags, mode)
  try {
    const bytes = new TextEncoder().encode(data)
    let off = 0
    while (off < bytes.length) off += writeSync(fd, bytes, off)
  } finally {
    closeSync(fd)
  }
}

/** node's writeFileSync with `flag` ('w' or open(2) flags as a number) and `mode`. */
export function writeFileSync (path: string, data: string, options: { mode?: number, flag?: string | number } = {}): void {
  writeWhole(path, data, options.flag ?? 'w', options.mode ?? 0o666)
}

export function appendFileSync (path: string, data: string): void {
  writeWhole(path, data, 'a', 0o666)
}

/** access(path, mode); throws if it fails. */
export function accessSync (path: string, mode: number = FS_CONSTANTS.F_OK): void {
  check(loadNative().fileAccess(path, mode), 'access', path)
}

/** access(path, F_OK) == 0, as node's existsSync. */
export function existsSync (path: string): boolean {
  return loadNative().fileAccess(path, FS_CONSTANTS.F_OK) === 0
}

/**
 * realpath(3), and its error as node's realpathSync.native's: one 'realpath'
 * error naming the whole path (bun's realpathSync names an lstat of it). The
 * one caller, --no-pivot's hostPseudoFilesystems, runs after planRootfs has
 * stat'ed the same rootfs, so no error line depends on these words.
 */
export function realpathSync (path: string): string {
  return check(loadNative().fileRealpath(path), 'realpath', path)
}

export function readlinkSync (path: string): string {
  return check(loadNative().fileReadlink(path), 'readlink', path)
}

export interface Dirent {
  name: string
  isFile: () => boolean
  isDirectory: () => boolean
  isSymbolicLink: () => boolean
}

/** dirent(3)'s d_type values (DT_UNKNOWN: the filesystem does not say, lstat does). */
const DT_UNKNOWN = 0
const DT_DIR = 4
const DT_REG = 8
const DT_LNK = 10

export function readdirSync (path: string): string[]
export function readdirSync (path: string, options: { withFileTypes: true }): Dirent[]
export function readdirSync (path: string, options?: { withFileTypes: true }): string[] | Dirent[] {
  const flat = check(loadNative().fileReaddir(path), 'scandir', path)
  const names: string[] = []
  const dirents: Dirent[] = []
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] as string
    if (options?.withFileTypes !== true) {
      names.push(name)
      continue
    }
    let type = flat[i + 1] as number
    if (type === DT_UNKNOWN) {
      try {
        const st = lstatSync(join(path, name))
        type = st.isDirectory() ? DT_DIR : st.isFile() ? DT_REG : st.isSymbolicLink() ? DT_LNK : DT_UNKNOWN
      } catch { /* gone meanwhile: neither */ }
    }
    dirents.push({ name, isFile: () => type === DT_REG, isDirectory: () => type === DT_DIR, isSymbolicLink: () => type === DT_LNK })
  }
  return options?.withFileTypes === true ? dirents : names
}

/** mkdir(2) (`options` may be the mode); with `recursive`, the missing parents too, and an existing directory is no error. */
export function mkdirSync (path: string, options: number | { recursive?: boolean, mode?: number } = {}): void {
  if (typeof options === 'number') options = { mode: options }
  const mode = options.mode ?? 0o777
  const result = loadNative().fileMkdir(path, mode)
  if (result === 0) return
  if (options.recursive !== true) throw fsError(-result, 'mkdir', path)
  if (errnoName(-result) === 'EEXIST') {
    if (statSync(path).isDirectory()) return
    throw fsError(-result, 'mkdir', path)
  }
  const parent = join(path, '..')
  if (errnoName(-result) !== 'ENOENT' || parent === path) throw fsError(-result, 'mkdir', path)
  mkdirSync(parent, options)
  check(loadNative().fileMkdir(path, mode), 'mkdir', path)
}

export function rmdirSync (path: string): void {
  check(loadNative().fileRmdir(path), 'rmdir', path)
}

export function unlinkSync (path: string): void {
  check(loadNative().fileUnlink(path), 'unlink', path)
}

export function renameSync (from: string, to: string): void {
  check(loadNative().fileRename(from, to), 'rename', from, to)
}

/** Removes a file, or with `recursive` a directory and what it holds (symlinks are removed, never followed); `force`: a missing path is no error. */
export function rmSync (path: string, options: { recursive?: boolean, force?: boolean } = {}): void {
  let st: Stats
  try {
    st = lstatSync(path)
  } catch (e) {
    if (options.force === true && (e as NodeJS.ErrnoException).code === 'ENOENT') return
    throw e
  }
  if (!st.isDirectory()) return unlinkSync(path)
  if (options.recursive !== true) throw fsError(errnoNumber('EISDIR'), 'rm', path)
  for (const name of readdirSync(path)) rmSync(join(path, name), { recursive: true, force: true })
  rmdirSync(path)
}
