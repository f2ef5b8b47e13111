// parseJsonText (src/spec/json-text.ts) refuses a document nested more than
// MAX_JSON_DEPTH levels deep, naming the line and column of the bracket that
// goes too deep. It scans for the depth only when the document holds more
// brackets than that (issue 11: the scan costs a step of bytecode per
// character). These cases pin where the two paths meet. No root needed.
import t from 'tap'
import { JsonSyntaxError, MAX_JSON_DEPTH, parseJsonText } from '../../src/spec/json-text.js'

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)

t.test('a document exactly MAX_JSON_DEPTH deep parses', async t => {
  t.equal(JSON.stringify(parseJsonText(nested(MAX_JSON_DEPTH), 'x.json')).length, 2 * MAX_JSON_DEPTH)
})

t.test('one level deeper is refused at the bracket that opens it', async t => {
  const text = `{"a":\n ${nested(MAX_JSON_DEPTH)}}`
  t.throws(() => parseJsonText(text, 'x.json'), new JsonSyntaxError('x.json', 2, MAX_JSON_DEPTH + 1, `nested more than ${MAX_JSON_DEPTH} levels deep`))
})

t.test('more brackets than MAX_JSON_DEPTH, side by side or in strings, is no depth', async t => {
  const siblings = `[${Array.from({ length: 2 * MAX_JSON_DEPTH }, () => '{}').join(',')}]`
  t.equal((parseJsonText(siblings, 'x.json') as unknown[]).length, 2 * MAX_JSON_DEPTH)
  const inStrings = JSON.stringify({ s: '['.repeat(3 * MAX_JSON_DEPTH), n: JSON.parse(nested(10)) })
  t.same(parseJsonText(inStrings, 'x.json'), JSON.parse(inStrings))
})

t.test('a deep document with its brackets split between [ and { is refused', async t => {
  const text = '[{"a":'.repeat(MAX_JSON_DEPTH / 2) + '[1]' + '}]'.repeat(MAX_JSON_DEPTH / 2)
  t.throws(() => parseJsonText(text, 'x.json'), { message: /^x\.json: invalid JSON at line 1 column \d+: nested more than 1000 levels deep$/ })
})
