/**
 * The plan's wire format has one definition (scripts/wire/plan-definition.mjs)
 * from which scripts/build-wire.mjs generates the C++ structs, the marshaller's
 * key lists and readers, the stage's visitors and the TypeScript types. These
 * tests need no root and no build: they run the generator itself.
 */
import t from 'tap'
import { type Definition, generate, staleFiles } from '../../scripts/build-wire.mjs'
import * as planDefinition from '../../scripts/wire/plan-definition.mjs'

/** The smallest definition that has each kind of field the generator treats apart. */
const tiny: Definition = {
  roundTripDoc: 'Compared field by field.',
  enums: [{ name: 'Colour', ts: 'ColourKind', prefix: 'kColour', doc: 'A colour.', values: [['Red', 1, 'The red one'], ['Blue', 2, undefined, 'kBlueish']] }],
  structs: [
    {
      name: 'Paint',
      fields: [
        { js: 'shade', type: 'u64big', required: true },
      ],
    },
    {
      name: 'Brush',
      doc: 'A brush.',
      fields: [
        { js: 'label', type: 'string', required: true, doc: 'What it says on the handle.' },
        { cpp: 'has_width', type: 'bool', presenceOf: 'width' },
        { js: 'width', type: 'u32', default: '7' },
        { cpp: 'handle_fd', type: 'fd' },
        { js: 'paints', type: { list: 'Paint' }, required: true },
        { js: 'colour', cpp: 'tint', type: 'i32', ts: 'ColourKind', required: true, nullable: true },
      ],
    },
  ],
}

t.test('a tiny definition generates all four sides', async t => {
  const files = generate(tiny)
  const header = files['native/generated/plan.h'] ?? ''
  t.match(header, 'enum Colour : int32_t {\n  // The red one\n  kColourRed = 1,\n  kBlueish = 2,\n};')
  t.match(header, '// A brush.\nstruct Brush {\n  // What it says on the handle.\n  std::string label;\n')
  t.match(header, '  bool has_width = false;\n  uint32_t width = 7;\n  int handle_fd = -1;\n  std::vector<Paint> paints;\n  int32_t tint = 0;  // TypeScript: colour\n')
  t.match(header, 'bool operator==(const Brush&) const = default;')

  const marshal = files['native/generated/plan_marshal.inc'] ?? ''
  t.match(marshal, 'CheckKeys(js, "Brush", {\n      {"label", true},\n      {"width", false},\n      {"paints", true},\n      {"colour", true},\n  });')
  t.match(marshal, '  x.has_width = Has(js, "width");\n  x.width = static_cast<uint32_t>(Int(js, "width", 7));\n')
  t.match(marshal, 'x.paints = ArrayOf<Paint>(js, "paints", [](Napi::Value v) { return PaintFromJs(v.As<Napi::Object>()); });')
  t.notMatch(marshal, 'handle_fd', 'a C++-only field is not read from JS')

  const visit = files['native/generated/plan_visit.inc'] ?? ''
  t.match(visit, 'void VisitBrush(Io& io, Brush& x) {\n  io.Str(x.label);\n  io.Raw(x.has_width);\n  io.Raw(x.width);\n  io.Raw(x.handle_fd);\n  io.List(x.paints, [&](Paint& item) { VisitPaint(io, item); });\n  io.Raw(x.tint);\n}')

  const ts = files['src/generated/plan.ts'] ?? ''
  t.match(ts, '/** A colour. C++: enum Colour in native/generated/plan.h. */\nexport const ColourKind = {\n  /** The red one */\n  Red: 1,\n  Blue: 2,\n} as const')
  t.match(ts, 'export interface Brush {\n  /** What it says on the handle. */\n  label: string\n  width?: number\n  paints: Paint[]\n  colour: ColourKind | null\n}')
})

t.test('a definition that names an unknown type or struct fails, naming the field', async t => {
  t.throws(() => generate({ ...tiny, structs: [{ name: 'Brush', fields: [{ js: 'label', type: 'text' }] }] }), { message: /Brush\.label: unknown type "text"/ })
  t.throws(() => generate({ ...tiny, structs: [{ name: 'Brush', fields: [{ js: 'paints', type: { list: 'Paint' } }] }] }), { message: /Brush\.paints: struct "Paint" must be defined before Brush/ })
  t.throws(() => generate({ ...tiny, structs: [{ name: 'Brush', fields: [{ cpp: 'has_width', type: 'bool', presenceOf: 'width' }] }] }), { message: /presenceOf names no key of Brush/ })
})

t.test('the committed generated files are what the definition generates (a hand edit fails)', async t => {
  t.strictSame(staleFiles(), [], 'run node scripts/build-wire.mjs')
})

t.test('every struct of the plan is reachable from InitPlan, and InitPlan is last', async t => {
  const names = planDefinition.structs.map(s => s.name)
  t.equal(names.at(-1), 'InitPlan')
  const reached = new Set<string>(['InitPlan'])
  for (const s of [...planDefinition.structs].reverse()) {
    if (!reached.has(s.name)) continue
    for (const f of s.fields) {
      const nested = typeof f.type === 'object' ? f.type.struct ?? f.type.list : undefined
      if (nested !== undefined) reached.add(nested)
    }
  }
  t.strictSame([...reached].sort(), [...names].sort())
})
