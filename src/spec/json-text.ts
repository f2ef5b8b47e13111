/**
 * JSON.parse with errors a user can act on: the file, line and column, and
 * V8's description of what is wrong, as a ConfigError.
 */
import { ConfigError } from '../errors.js'

/** config.json (or another JSON document) is not valid JSON. */
export class JsonSyntaxError extends ConfigError {
  constructor (file: string, readonly line: number, readonly column: number, reason: string) {
    super(file, '', reason)
    this.message = `${file}: invalid JSON at line ${line} column ${column}: ${reason}`
  }
}

/**
 * Deeper than any real document; a deeper one would overflow the stack of
 * JSON.parse or of the recursive checks after it (Go's encoding/json, which
 * runc uses, stops at 10000).
 */
export const MAX_JSON_DEPTH = 1000

/** Parses `text`, the content of `file`; throws JsonSyntaxError if it is not JSON. */
export function parseJsonText (text: string, file: string): unknown {
  const tooDeep = openingBrackets(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH ? offsetBeyondDepth(text, MAX_JSON_DEPTH) : -1
  if (tooDeep >= 0) {
    const { line, column } = lineAndColumn(text, tooDeep)
    throw new JsonSyntaxError(file, line, column, `nested more than ${MAX_JSON_DEPTH} levels deep`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err
    const { offset, reason } = explainSyntaxError(err.message, text.length)
    const { line, column } = lineAndColumn(text, offset)
    throw new JsonSyntaxError(file, line, column, reason)
  }
}

/**
 * How many [ and { the text holds, strings included, counted up to max+1.
 * A document cannot nest deeper than that, so most skip offsetBeyondDepth:
 * indexOf runs natively, where that loop runs a step of bytecode per
 * character (1.3 M instructions for runc's default config.json under bun).
 */
function openingBrackets (text: string, max: number): number {
  let count = 0
  for (const bracket of ['[', '{']) {
    for (let i = text.indexOf(bracket); i !== -1 && count <= max; i = text.indexOf(bracket, i + 1)) count++
  }
  return count
}

/** The offset of the first [ or { that opens level max+1, or -1. Skips strings. */
function offsetBeyondDepth (text: string, max: number): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return -1
}

/**
 * Splits V8's message ("Unexpected token } in JSON at position 12",
 * "Expected ',' or '}' after property value in JSON at position 9 (line 1 column 10)",
 * "Unexpected non-whitespace character after JSON at position 2",
 * "Unexpected end of JSON input") into the offset and the reason.
 */
function explainSyntaxError (message: string, length: number): { offset: number, reason: string } {
  const at = /\s*(?:in JSON )?at position (\d+)(?: \(line \d+ column \d+\))?/.exec(message)
  if (at !== null) {
    return { offset: Number(at[1]), reason: (message.slice(0, at.index) + message.slice(at.index + at[0].length)).trim() }
  }
  // Only "Unexpected end of JSON input" comes without a position: the error is at the end.
  return { offset: length, reason: message.replace(/ of JSON input$/, ' of input') }
}

/** 1-based line and column of the character at `offset` (columns count UTF-16 units). */
function lineAndColumn (text: string, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, column: offset - lineStart + 1 }
}
