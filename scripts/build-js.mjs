// Builds the two forms of ocirt from src/main.ts with bun's bundler:
//   dist/ocirt      one executable (bun --compile --bytecode), the product;
//   dist/ocirt.mjs  one ESM file for node (node dist/ocirt.mjs ...).
// The addon is not embedded: it is loaded from dist/ocirt.node beside them.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** bun from the npm registry; the baseline build where the CPU lacks AVX2. */
function findBun () {
  for (const pkg of ['@oven/bun-linux-x64', '@oven/bun-linux-x64-baseline']) {
    const bin = join(root, 'node_modules', pkg, 'bin', 'bun')
    if (!existsSync(bin)) continue
    try {
      execFileSync(bin, ['--version'], { stdio: 'ignore' })
      return bin
    } catch { /* illegal instruction: try the next */ }
  }
  throw new Error('bun not found: run npm ci')
}

const bun = findBun()
const common = ['--format=esm', '--minify-syntax', '--minify-whitespace', join(root, 'src/main.ts')]
const env = { ...process.env, NODE_EXTRA_CA_CERTS: '' }
execFileSync(bun, ['build', '--target=node', ...common, '--outfile', join(root, 'dist/ocirt.mjs')], { stdio: 'inherit', env, cwd: root })
// The executable's start-up options (issue 11; docs/performance.md, "Start-up (issue 11)"):
// --splitting puts each command's modules in chunks of their own inside the executable, loaded by
//   the command's import() in src/cli/table.ts, so `state` no longer loads the bytecode of create's
//   validator and planner: 1.7 M fewer instructions for every command.
// --no-compile-autoload-dotenv and --no-compile-autoload-bunfig: a compiled bun otherwise reads
//   bunfig.toml and .env files from the working directory (a bundle directory under containerd)
//   and lists every directory from / down to it; a runtime takes its environment from its caller only.
// --compile-jit-policy=10 multiplies JSC's tier-up thresholds by 10 (docs/performance.md, "Peak RSS
//   (issue 11)"): a command runs for milliseconds, so the baseline and DFG code it used to compile
//   for create's validator and planner cost about 3 MiB of peak RSS and saved no time; a loop that
//   runs long (I/O forwarding in `run`) still tiers up, only later.
const executableOptions = ['--splitting', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--compile-jit-policy=10']
execFileSync(bun, ['build', '--compile', '--bytecode', ...executableOptions, ...common, '--outfile', join(root, 'dist/ocirt')], { stdio: 'inherit', env, cwd: root })
