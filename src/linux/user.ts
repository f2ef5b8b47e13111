/**
 * The container's own user database, for what runc derives from it: HOME
 * when process.env has none (runc's default is "/"). /etc/passwd is read
 * with its path resolved inside the rootfs, so a symlink in the image never
 * makes us read a host file.
 */
import { loadNative } from '../native.js'

const PASSWD_LIMIT = 1 << 20

export function homeDirectory (rootfs: string, uid: number): string {
  const passwd = loadNative().readFileInRoot(rootfs, '/etc/passwd', PASSWD_LIMIT)
  for (const line of (passwd ?? '').split('\n')) {
    const fields = line.split(':')
    const [, , uidField = '', , , home = ''] = fields
    if (fields.length >= 7 && Number(uidField) === uid && uidField !== '' && home.startsWith('/')) return home
  }
  return '/'
}

/** process.env with HOME added from the rootfs when it has none. */
export function withHome (env: string[], rootfs: string, uid: number): string[] {
  if (env.some(e => e.startsWith('HOME='))) return env
  return [...env, `HOME=${homeDirectory(rootfs, uid)}`]
}
