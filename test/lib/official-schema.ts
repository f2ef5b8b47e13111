/**
 * The official runtime-spec (draft-04) schemas, compiled with ajv-draft-04,
 * to check our output and our schema against them. Tests only.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import AjvDraft04 from 'ajv-draft-04'

/** The official (draft-04) schemas, compiled with ajv-draft-04; tests only. */
export function loadOfficialSchemas (officialSchemaDir: string): (name: string) => (data: unknown) => boolean {
  const ajv = new AjvDraft04.default({ strict: false, allErrors: false })
  for (const file of readdirSync(officialSchemaDir).filter(f => f.endsWith('.json'))) {
    let text = readFileSync(join(officialSchemaDir, file), 'utf8')
    // defs.json's ArrayOfUint32 refers to "#definitions/uint32" (missing "/"), which no
    // resolver accepts; upstream typo, fixed here so that config-vm.json compiles.
    text = text.replace('"#definitions/uint32"', '"#/definitions/uint32"')
    const schema = JSON.parse(text)
    schema.id = `https://official.invalid/${file}`
    ajv.addSchema(schema)
  }
  return name => {
    const validate = ajv.getSchema(`https://official.invalid/${name}`)
    if (validate === undefined) throw new Error(`no official schema ${name}`)
    return data => validate(data) as boolean
  }
}
