/** Where and why JSON text fails to parse: 1-based line and column (UTF-16 code units). */
export interface JsonSyntaxProblem {
  /** Offset of the offending character in the text (UTF-16 code units). */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** What was expected and what was found, e.g. `expected a value, found ","`. */
  message: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

function describeCharacter(character: string): string {
  return JSON.stringify(character);
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf("\n"); index !== -1 && index < offset; index = text.indexOf("\n", index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Finds the first syntax error of JSON text (RFC 8259), without recursion, so
 * a user can jump to it: `JSON.parse` on Node 20+ often names no position.
 * Returns undefined when the text is valid JSON.
 */
export function findJsonSyntaxProblem(text: string): JsonSyntaxProblem | undefined {
  const containers: string[] = [];
  type Expecting = "value" | "valueOrClose" | "key" | "keyOrClose" | "colon" | "commaOrClose" | "end";
  let expecting: Expecting = "value";
  let index = 0;
  const problem = (message: string, at = index): JsonSyntaxProblem => ({ offset: at, ...lineAndColumn(text, at), message });
  const afterValue = (): Expecting => (containers.length === 0 ? "end" : "commaOrClose");
  /** Scans the string starting at `index`; returns a problem or moves past it. */
  const scanString = (): JsonSyntaxProblem | undefined => {
    const start = index;
    index += 1;
    while (index < text.length) {
      const character = text[index]!;
      if (character === '"') {
        index += 1;
        return undefined;
      }
      if (character.charCodeAt(0) < 0x20) return problem(`control character ${JSON.stringify(character)} inside a string (escape it)`);
      if (character === "\\") {
        const escaped = text[index + 1];
        if (escaped === "u") {
          HEX4.lastIndex = index + 2;
          if (!HEX4.test(text)) return problem("\\u must be followed by 4 hexadecimal digits");
          index += 6;
        } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) index += 2;
        else return problem(`invalid escape ${JSON.stringify(`\\${escaped ?? ""}`)} inside a string`);
      } else index += 1;
    }
    return problem("string is never closed (missing \")", start);
  };
  for (;;) {
    while (index < text.length && " \t\n\r".includes(text[index]!)) index += 1;
    const character = text[index];
    if (expecting === "end") return character === undefined ? undefined : problem(`unexpected ${describeCharacter(character)} after the end of the document`);
    if (character === undefined) {
      return problem(containers.length === 0 ? "the text is empty" : `unexpected end of text (${containers.length} unclosed ${containers.length === 1 ? "bracket" : "brackets"})`);
    }
    const close = containers[containers.length - 1] === "{" ? "}" : "]";
    if (expecting === "value" || expecting === "valueOrClose") {
      if (expecting === "valueOrClose" && character === "]") {
        containers.pop();
        index += 1;
        expecting = afterValue();
      } else if (character === "{" || character === "[") {
        containers.push(character);
        index += 1;
        expecting = character === "{" ? "keyOrClose" : "valueOrClose";
      } else if (character === '"') {
        const stringProblem = scanString();
        if (stringProblem !== undefined) return stringProblem;
        expecting = afterValue();
      } else {
        NUMBER.lastIndex = index;
        const literal = ["true", "false", "null"].find((word) => text.startsWith(word, index));
        if (literal !== undefined) index += literal.length;
        else if (NUMBER.test(text)) index = NUMBER.lastIndex;
        else return problem(`expected a value, found ${describeCharacter(character)}`);
        expecting = afterValue();
      }
    } else if (expecting === "key" || expecting === "keyOrClose") {
      if (expecting === "keyOrClose" && character === "}") {
        containers.pop();
        index += 1;
        expecting = afterValue();
      } else if (character === '"') {
        const stringProblem = scanString();
        if (stringProblem !== undefined) return stringProblem;
        expecting = "colon";
      } else return problem(`expected a property name in double quotes, found ${describeCharacter(character)}`);
    } else if (expecting === "colon") {
      if (character !== ":") return problem(`expected ":" after the property name, found ${describeCharacter(character)}`);
      index += 1;
      expecting = "value";
    } else if (character === ",") {
      index += 1;
      expecting = close === "}" ? "key" : "value";
    } else if (character === close) {
      containers.pop();
      index += 1;
      expecting = afterValue();
    } else return problem(`expected "," or "${close}", found ${describeCharacter(character)}`);
  }
}
