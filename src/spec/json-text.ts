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

/** Parses `text`, the content of `file`; throws JsonSyntaxError if it is not JSON. */
export function parseJsonText (text: string, file: string): unknown {
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
