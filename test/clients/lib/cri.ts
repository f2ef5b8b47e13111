/**
 * containerd's CRI plugin, as a Kubernetes node runs it, for one test file:
 * a private containerd (lib/containerd.ts: its own root, state dir, sockets,
 * teardown) with the CRI plugin on, and a small CRI v1 client over gRPC that
 * makes the calls the kubelet makes.
 *
 * The runtime under test is a RuntimeClass handler: `runtimes.ocirt` (and
 * `runtimes.runc`, the node's default) in the CRI config use the runc v2
 * shim (`io.containerd.runc.v2`) with `BinaryName` pointing at the runtime,
 * cgroupfs cgroups (SystemdCgroup = false) and a private `Root`. The sandbox
 * ("pause") image is built locally from catatonit (scripts/make-client-image.sh
 * pause): no registry is reachable. There is no CNI network: pods use the
 * host's network (NamespaceMode NODE), and the plugin's CNI conf dir is an
 * empty dir of the test's.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { REPO } from '../../lib/ocirt.js'
import { CLIENT_RUNTIME, clientImage, runtimeIsOcirt } from './common.js'
import { Containerd } from './containerd.js'

/** The namespace the CRI plugin keeps everything in. */
export const CRI_NAMESPACE = 'k8s.io'
export const PAUSE_IMAGE = 'localhost/ocirt-pause:latest'
/** The RuntimeClass handler the pods ask for: the runtime under test. */
export const HANDLER = runtimeIsOcirt() ? 'ocirt' : 'runc'

type Callback = (err: grpc.ServiceError | null, response: unknown) => void
type Method = (request: object, options: grpc.CallOptions, callback: Callback) => void
type Stub = grpc.Client & Record<string, Method>

/** The pause image as an OCI image-layout tar (built once and cached). */
function pauseImage (): string {
  return execFileSync('bash', [join(REPO, 'scripts', 'make-client-image.sh'), 'pause'], { encoding: 'utf8' }).trim()
}

/** A gRPC error's code name and message, for assertions. */
export function grpcFailure (err: unknown): { code: string, details: string } {
  const e = err as Partial<grpc.ServiceError>
  return { code: grpc.status[e.code ?? grpc.status.UNKNOWN], details: e.details ?? String(err) }
}

export class Cri {
  /** The --root the shim gives the runtime under test: the handler's Root, then the namespace. */
  readonly runtimeRoot: string

  private constructor (readonly ctrd: Containerd, private readonly runtime: Stub, private readonly images: Stub, runtimeRoots: Record<string, string>) {
    const handlerRoot = runtimeRoots[HANDLER]
    if (handlerRoot === undefined) throw new Error(`containerd's config has no Root for the runtime handler ${HANDLER}`)
    this.runtimeRoot = join(handlerRoot, CRI_NAMESPACE)
  }

  static async start (): Promise<Cri> {
    const roots: Record<string, string> = {}
    const ctrd = await Containerd.start([clientImage(), pauseImage()], {
      namespace: CRI_NAMESPACE,
      config: c => {
        mkdirSync(join(c.base, 'cni'))
        const runtimes = { ocirt: runtimeIsOcirt() ? CLIENT_RUNTIME : join(REPO, 'dist', 'ocirt'), runc: runtimeIsOcirt() ? '/usr/sbin/runc' : CLIENT_RUNTIME }
        const cri = '[plugins."io.containerd.grpc.v1.cri"]'
        const lines = [
          cri,
          `  sandbox_image = "${PAUSE_IMAGE}"`,
          // No CAP_SYS_RESOURCE here: the plugin may not lower oom_score_adj
          // below its own (the sandbox's default is -998).
          '  restrict_oom_score_adj = true',
          '  disable_apparmor = true',
          '  stream_server_address = "127.0.0.1"',
          '  stream_server_port = "0"',
          `[${cri.slice(1, -1)}.cni]`,
          '  bin_dir = "/usr/lib/cni"',
          `  conf_dir = "${c.base}/cni"`,
          `[${cri.slice(1, -1)}.containerd]`,
          '  snapshotter = "overlayfs"',
          '  default_runtime_name = "runc"',
        ]
        for (const [name, binary] of Object.entries(runtimes)) {
          roots[name] = join(c.base, `${name}-root`)
          lines.push(
            `[${cri.slice(1, -1)}.containerd.runtimes.${name}]`,
            '  runtime_type = "io.containerd.runc.v2"',
            `[${cri.slice(1, -1)}.containerd.runtimes.${name}.options]`,
            `  BinaryName = "${binary}"`,
            `  Root = "${roots[name]}"`,
            '  SystemdCgroup = false'
          )
        }
        return lines
      },
    })
    try {
      const definition = protoLoader.loadSync(join(REPO, 'test', 'clients', 'lib', 'cri-api.proto'), { keepCase: true, longs: Number, enums: String, defaults: true })
      const api = (grpc.loadPackageDefinition(definition).runtime as grpc.GrpcObject).v1 as grpc.GrpcObject
      const address = `unix://${ctrd.socket}`
      const RuntimeService = api.RuntimeService as grpc.ServiceClientConstructor
      const ImageService = api.ImageService as grpc.ServiceClientConstructor
      const cri = new Cri(ctrd, new RuntimeService(address, grpc.credentials.createInsecure()) as Stub, new ImageService(address, grpc.credentials.createInsecure()) as Stub, roots)
      // The CRI service comes up after containerd's socket: wait until it answers.
      const deadline = Date.now() + 20_000
      while (true) {
        try {
          await cri.call('Version', { version: 'v1' }, 2000)
          break
        } catch (err) {
          if (Date.now() > deadline) throw err
          await new Promise(resolve => setTimeout(resolve, 100))
        }
      }
      return cri
    } catch (err) {
      await ctrd.stop()
      throw err
    }
  }

  /** One RuntimeService call (ImageService for Image* methods); rejects with the gRPC error. */
  async call<T = Record<string, any>> (method: string, request: object, timeoutMs = 60_000): Promise<T> {
    const stub = method.startsWith('Image') ? this.images : this.runtime
    const send = stub[method]
    if (send === undefined) throw new Error(`the CRI API has no method ${method}`)
    return await new Promise<T>((resolve, reject) => {
      send.call(stub, request, { deadline: Date.now() + timeoutMs }, (err, response) => {
        if (err !== null) reject(err)
        else resolve(response as T)
      })
    })
  }

  /** The ids the runtime under test still has in the shim's --root (its `list`). */
  runtimeList (): string[] {
    const out = execFileSync(CLIENT_RUNTIME, ['--root', this.runtimeRoot, 'list', '--format', 'json'], { encoding: 'utf8', timeout: 10_000 })
    const list = JSON.parse(out === '' ? 'null' : out) as Array<{ id: string }> | null
    return (list ?? []).map(c => c.id)
  }

  /**
   * Tear down: every pod still there is stopped and removed through the CRI
   * (and reported), the clients closed, then containerd's own teardown.
   * Returns what had to be cleaned up.
   */
  async stop (): Promise<string[]> {
    const problems: string[] = []
    try {
      const pods = await this.call<{ items: Array<{ id: string }> }>('ListPodSandbox', {}, 10_000)
      for (const pod of pods.items) {
        problems.push(`pod sandbox ${pod.id} was still there`)
        this.ctrd.track(pod.id)
        await this.call('StopPodSandbox', { pod_sandbox_id: pod.id }).catch(() => undefined)
        await this.call('RemovePodSandbox', { pod_sandbox_id: pod.id }).catch(() => undefined)
      }
    } catch (err) {
      problems.push(`ListPodSandbox failed at teardown: ${grpcFailure(err).details}`)
    }
    this.runtime.close()
    this.images.close()
    return [...problems, ...await this.ctrd.stop()]
  }
}
