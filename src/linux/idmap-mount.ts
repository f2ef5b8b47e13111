/**
 * config.md mount options idmap / ridmap: a bind mount whose file owners are
 * seen through an id mapping (mount_setattr(MOUNT_ATTR_IDMAP), Linux 5.12).
 * The runtime clones the source tree and sets the mapping before clone (it
 * needs CAP_SYS_ADMIN over the mapping's user namespace, which the container
 * lacks); the init moves the detached mount onto the target, resolved inside
 * the rootfs.
 */
import { isAbsolute, resolve } from './path.js'
import { statSync } from './io.js'
import { ConfigError } from '../errors.js'
import type { MountStep } from '../native.js'
import { CreateKind, MountOp } from '../generated/plan.js'
import type { Mount } from '../spec/types.js'
import { MS_REC } from './constants.js'
import type { ParsedMountOptions } from './mount-options.js'
import type { NamespacePlan } from './namespaces.js'
import { mapText, NAMESPACE_FLAGS } from './namespaces.js'

/** The container's own user namespace, whose mapping serves mounts that give none: joined by path, or new with these maps. */
export type ContainerIdMapping = { path: string } | { uidMap: string, gidMap: string }

export function idmappedBindStep (m: Mount, index: number, options: ParsedMountOptions, bundle: string, target: string, container: ContainerIdMapping | undefined): MountStep {
  const at = `/mounts/${index}`
  if (!options.bind && m.type !== 'bind') {
    throw new ConfigError('config.json', `${at}/options`, 'idmap and ridmap are supported on bind mounts only (add "bind" or "rbind")')
  }
  const source = isAbsolute(m.source ?? '') ? m.source! : resolve(bundle, m.source ?? '')
  let isDirectory: boolean
  try {
    isDirectory = statSync(source).isDirectory()
  } catch (e) {
    throw new ConfigError('config.json', `${at}/source`, `${source}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`)
  }
  // config.md: the mount's own uidMappings/gidMappings if given, else the container's user namespace mapping.
  let mapping: Pick<MountStep, 'idmapUserns' | 'idmapUidMap' | 'idmapGidMap'>
  if (m.uidMappings !== undefined || m.gidMappings !== undefined) {
    mapping = { idmapUidMap: mapText(m.uidMappings), idmapGidMap: mapText(m.gidMappings) }
  } else if (container !== undefined) {
    mapping = 'path' in container ? { idmapUserns: container.path } : { idmapUidMap: container.uidMap, idmapGidMap: container.gidMap }
  } else {
    throw new ConfigError('config.json', `${at}/options`, 'idmap needs uidMappings and gidMappings on the mount or a user namespace for the container')
  }
  return {
    op: MountOp.IdmappedBind,
    source,
    target,
    // rbind clones the submounts too; ridmap maps them as well (AT_RECURSIVE).
    flags: options.recursiveBind ? MS_REC : 0,
    recursive: options.recursiveIdmap,
    create: isDirectory ? CreateKind.Directory : CreateKind.File,
    ...mapping,
  }
}

/** The container's user namespace as an idmap mapping: the one it joins, or the maps of the one it makes; undefined without. */
export function containerIdMapping (ns: NamespacePlan): ContainerIdMapping | undefined {
  const joined = ns.joinNamespaces.find(j => j.type === NAMESPACE_FLAGS.user)
  if (joined !== undefined) return { path: joined.path }
  return ns.newTypes.has('user') ? { uidMap: ns.uidMap, gidMap: ns.gidMap } : undefined
}
