/**
 * Characters that must never reach a terminal raw from user input: C0 controls
 * (newline, carriage return and ESC included), DEL, C1 controls (0x9b is a
 * one-byte CSI on some terminals), the Unicode line/paragraph separators and
 * the bidirectional overrides that reorder what a line appears to say.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS_KEEPING_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED_ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e" };

function escapeCharacter(character: string): string {
  const named = NAMED_ESCAPES[character];
  if (named !== undefined) return named;
  const code = character.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Escapes every user-supplied string (paths, names from definitions, error
 * messages quoting input) before it is echoed to a terminal: control
 * characters become visible escapes (`\n`, `\e`, `\x07`, `\u202e`), so input
 * can neither forge a second `tickscope:` line nor send terminal escape
 * sequences. The result is always one line.
 */
export function escapeTerminalText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, escapeCharacter);
}

/**
 * Like {@link escapeTerminalText} for multi-line output the tool itself lays
 * out (reports, tables printed to stdout): newlines and tabs stay, every other
 * control character is escaped.
 */
export function escapeTerminalDocument(text: string): string {
  return text.replace(UNSAFE_CHARACTERS_KEEPING_LINES, escapeCharacter);
}

/**
 * Returns a copy of `value` (plain JSON-like data) with every string, and every
 * object key, passed through {@link escapeTerminalText}: for summaries whose
 * names come from user files and are then laid out as text.
 */
export function escapeTerminalStrings<T>(value: T): T {
  if (typeof value === "string") return escapeTerminalText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => escapeTerminalStrings(item)) as T;
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[escapeTerminalText(key)] = escapeTerminalStrings(item);
    return copy as T;
  }
  return value;
}
