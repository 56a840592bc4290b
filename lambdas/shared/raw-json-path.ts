/**
 * Reads a field of a record from its JSON *text*, so an id like 12345678901234567890 keeps its
 * digits (`JSON.parse` would round it to 12345678901234567000 and two records would share an id).
 * Expects text that `JSON.parse` already accepted.
 */

// Character codes: this runs on every record of every file, so it compares numbers, not strings.
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && isWhitespace(text.charCodeAt(at))) at++;
  return at;
}

/** Index just after the string starting at `at` (on its opening quote). */
function skipString(text: string, at: number): number {
  // indexOf finds the next quote natively; it closes the string unless an odd run of backslashes escapes it.
  for (let quote = text.indexOf('"', at + 1); quote >= 0; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
  }
  return text.length;
}

/** Index just after the value starting at `at`. */
function skipValue(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return skipString(text, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = at;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isWhitespace(c) || c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE) break;
    }
    return i;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = skipString(text, i) - 1;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** A member name as text: only a name with escapes needs `JSON.parse`. */
function memberName(text: string, start: number, end: number): string {
  const inner = text.slice(start + 1, end - 1);
  return inner.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : inner;
}

/**
 * Calls `visit(name, valueStart, valueEnd)` for every member of the object `text`, in order,
 * duplicates included; returns `false` when `text` is not an object.
 */
function forEachMember(text: string, visit: (name: string, valueStart: number, valueEnd: number) => void): boolean {
  let at = skipWhitespace(text, 0);
  if (text.charCodeAt(at) !== OPEN_BRACE) return false;
  at = skipWhitespace(text, at + 1);
  while (at < text.length && text.charCodeAt(at) === QUOTE) {
    const keyEnd = skipString(text, at);
    const name = memberName(text, at, keyEnd);
    at = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(at) === COLON) at = skipWhitespace(text, at + 1);
    const valueEnd = skipValue(text, at);
    visit(name, at, valueEnd);
    at = skipWhitespace(text, valueEnd);
    if (text.charCodeAt(at) === COMMA) at = skipWhitespace(text, at + 1);
  }
  return true;
}

/** Every member of the object `text` as `[name, raw value text]`, in order, duplicates included; `undefined` when `text` is not an object. */
export function rawMembers(text: string): [string, string][] | undefined {
  const members: [string, string][] = [];
  return forEachMember(text, (name, start, end) => members.push([name, text.slice(start, end)])) ? members : undefined;
}

/** Every element of the array `text` as raw value text, in order; `undefined` when `text` is not an array. */
export function rawElements(text: string): string[] | undefined {
  let at = skipWhitespace(text, 0);
  if (text.charAt(at) !== '[') return undefined;
  const elements: string[] = [];
  at = skipWhitespace(text, at + 1);
  while (at < text.length && text.charAt(at) !== ']') {
    const end = skipValue(text, at);
    elements.push(text.slice(at, end));
    at = skipWhitespace(text, end);
    if (text.charAt(at) === ',') at = skipWhitespace(text, at + 1);
  }
  return elements;
}

/** Raw text of member `name` of the object `text`, or `undefined`. The last duplicate wins, as in `JSON.parse`. */
export function rawMember(text: string, name: string): string | undefined {
  let found: [number, number] | undefined;
  forEachMember(text, (key, start, end) => {
    if (key === name) found = [start, end];
  });
  return found && text.slice(found[0], found[1]);
}

/** Raw text at a dot path such as `meta.id`, or `undefined` when any step is missing. */
export function rawAtPath(text: string, path: string): string | undefined {
  let current: string | undefined = text;
  for (const step of path.split('.')) {
    if (current === undefined) return undefined;
    current = rawMember(current, step);
  }
  return current;
}
