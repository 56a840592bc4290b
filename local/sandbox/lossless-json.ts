/**
 * A JSON parser that keeps each number's source text. The sandbox hashes payloads, and
 * `JSON.parse` would round a DynamoDB number or a 30-digit decimal before hashing, giving a
 * different hash from the one the real service computes over what was sent.
 */

/** A JSON number exactly as written in the request. */
export class JsonNumber {
  constructor(readonly text: string) {}
  toJSON(): number {
    return Number(this.text);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
    this.name = 'JsonSyntaxError';
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// A JSON string: quote, then any run of non-quote/non-backslash/non-control chars or escapes, then quote.
// The control-character range is the point: RFC 8259 §7 forbids them unescaped inside strings.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const WHITESPACE = /[ \t\n\r]*/y;

export function parseLosslessJson(text: string): JsonValue {
  let at = 0;
  const skip = (): void => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const expect = (char: string): void => {
    if (text[at] !== char) throw new JsonSyntaxError(`expected "${char}"`, at);
    at += 1;
  };
  const readString = (): string => {
    STRING.lastIndex = at;
    const match = STRING.exec(text);
    if (!match) throw new JsonSyntaxError('invalid string', at);
    at = STRING.lastIndex;
    // The regex has validated the literal, so JSON.parse of it is exact and fast.
    return JSON.parse(match[0]) as string;
  };
  const readValue = (depth: number): JsonValue => {
    if (depth > 512) throw new JsonSyntaxError('nesting deeper than 512', at);
    skip();
    const char = text[at];
    if (char === '{') {
      at += 1;
      const object: { [key: string]: JsonValue } = {};
      skip();
      if (text[at] === '}') {
        at += 1;
        return object;
      }
      for (;;) {
        skip();
        const key = readString();
        skip();
        expect(':');
        Object.defineProperty(object, key, { value: readValue(depth + 1), enumerable: true, writable: true, configurable: true });
        skip();
        if (text[at] === ',') at += 1;
        else {
          expect('}');
          return object;
        }
      }
    }
    if (char === '[') {
      at += 1;
      const array: JsonValue[] = [];
      skip();
      if (text[at] === ']') {
        at += 1;
        return array;
      }
      for (;;) {
        array.push(readValue(depth + 1));
        skip();
        if (text[at] === ',') at += 1;
        else {
          expect(']');
          return array;
        }
      }
    }
    if (char === '"') return readString();
    for (const [literal, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(literal, at)) {
        at += literal.length;
        return value;
      }
    }
    NUMBER.lastIndex = at;
    const number = NUMBER.exec(text);
    if (!number) throw new JsonSyntaxError('unexpected character', at);
    at = NUMBER.lastIndex;
    return new JsonNumber(number[0]);
  };
  const value = readValue(0);
  skip();
  if (at !== text.length) throw new JsonSyntaxError('unexpected text after the JSON value', at);
  return value;
}

/** The plain JavaScript value (numbers as doubles): for fields the sandbox reads, never for hashing. */
export function toPlain(value: JsonValue): unknown {
  return JSON.parse(JSON.stringify(value));
}
