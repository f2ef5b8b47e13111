/**
 * Property: whatever is wrong with a config.json, parseConfig either returns
 * or throws a ConfigError - never a TypeError from a check that trusted a
 * shape the schema did not guarantee. Random mutations (deleted keys,
 * changed types, added keys, damaged text) of real configs, from a seeded
 * generator so that failures reproduce.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ConfigError } from '../src/errors.js'
import { lintConfig, parseConfig, parseProcess } from '../src/spec/validate.js'
import { cyclic, type Json, mutate, pick, prng } from './lib/mutate.js'

const seeds = ['runc-1.1.5-spec.json', 'crun-1.8.1-spec-rootless.json', 'podman-4.3-run.json', 'containerd-1.6-cri-container.json']
  .map(name => ({ name, text: readFileSync(new URL(`./fixtures/configs/${name}`, import.meta.url), 'utf8') }))

function damageText (text: string, random: () => number): string {
  const at = Math.floor(random() * text.length)
  switch (Math.floor(random() * 3)) {
    case 0: return text.slice(0, at)
    case 1: return text.slice(0, at) + pick(['{', '}', ']', ',', '"', '\\', 'x', '\u0000'], random) + text.slice(at)
    default: return text.slice(0, at) + text.slice(at + 1)
  }
}

/** Runs `fn` and reports anything thrown that is not a ConfigError. */
function onlyConfigErrors (fn: () => void): unknown {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof ConfigError)) return e
  }
  return undefined
}

t.test('mutated configs only ever fail with ConfigError', async t => {
  const random = prng(20240613)
  const runs = 3000
  let accepted = 0
  const unexpected: Array<{ seed: string, config: string, error: string }> = []
  for (let i = 0; i < runs; i++) {
    const seed = cyclic(seeds, i)
    const document = JSON.parse(seed.text) as Json
    const mutations = 1 + Math.floor(random() * 4)
    for (let m = 0; m < mutations; m++) mutate(document, random)
    const text = JSON.stringify(document)
    const error = onlyConfigErrors(() => {
      const spec = parseConfig(text)
      lintConfig(spec)
      accepted++
    })
    if (error !== undefined) unexpected.push({ seed: seed.name, config: text, error: String((error as Error)?.stack ?? error) })
  }
  const rejected = runs - accepted - unexpected.length
  t.same(unexpected.slice(0, 3), [], 'no error other than ConfigError')
  t.ok(accepted > 0 && rejected > 0, `both outcomes occur (accepted ${accepted}, rejected ${rejected})`)
})

t.test('mutated process documents only ever fail with ConfigError', async t => {
  const random = prng(7)
  const unexpected: unknown[] = []
  for (let i = 0; i < 1000; i++) {
    const process = (JSON.parse(cyclic(seeds, i).text) as { process: Json }).process
    for (let m = 0; m < 3; m++) mutate(process, random)
    const error = onlyConfigErrors(() => parseProcess(JSON.stringify(process), 'process.json'))
    if (error !== undefined) unexpected.push(error)
  }
  t.same(unexpected.slice(0, 3), [])
})

t.test('damaged JSON text only ever fails with ConfigError', async t => {
  const random = prng(99)
  const unexpected: unknown[] = []
  for (let i = 0; i < 1000; i++) {
    const text = damageText(cyclic(seeds, i).text, random)
    const error = onlyConfigErrors(() => parseConfig(text))
    if (error !== undefined) unexpected.push(error)
  }
  t.same(unexpected.slice(0, 3), [])
})
