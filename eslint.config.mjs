// The linter and formatter for TypeScript and the .mjs scripts: neostandard,
// which is the "standard" style src/ is already written in (2-space, no
// semicolons, single quotes, a space before function parens), so one tool
// checks both the style and real problems with the smallest reformat.
import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'build/**', 'src/spec/generated/**', '.tap/**', 'node_modules/**']
  }),
  {
    rules: {
      // Lines are as long as a sentence needs; the code puts short bodies on one line.
      '@stylistic/max-statements-per-line': 'off',
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/multiline-ternary': 'off',
      '@stylistic/operator-linebreak': 'off',
      '@stylistic/object-property-newline': 'off',
      '@stylistic/object-curly-newline': 'off',
      // A TypeScript type and a value may share a name; tsc checks redeclaration.
      '@typescript-eslint/no-redeclare': 'off',
      // Control characters in a regex are how the code finds them in input.
      'no-control-regex': 'off',
      // void marks a promise deliberately not awaited; ajv's constructors are lower-case.
      'no-void': 'off',
      'new-cap': 'off',
      // 18446744073709551615 is written as the spec and configs write uint64 "unset".
      '@typescript-eslint/no-loss-of-precision': 'off'
    }
  }
]
