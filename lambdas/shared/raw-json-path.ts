/**
 * Reads a field of a record from its JSON *text*, so an id like 12345678901234567890 keeps its
 * digits (`JSON.parse` would round it to 12345678901234567000 and two records would share an id).
 * Expects text that `JSON.parse` already accepted.
 */

function skipWhitespace(text: string, at: number): number {
  while (at < text.length && ' \t\r\n'.includes(text.charAt(at))) at++;
  return at;
}

/** Index just after the string starting at `at` (on its opening quote). */
function skipString(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\') i++;
    else if (c === '"') return i + 1;
  }
  return text.length;
}

/** Index just after the value starting at `at`. */
function skipValue(text: string, at: number): number {
  const first = text.charAt(at);
  if (first === '"') return skipString(text, at);
  if (first !== '{' && first !== '[') {
    let i = at;
    while (i < text.length && !' \t\r\n,]}'.includes(text.charAt(i))) i++;
    return i;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '"') i = skipString(text, i) - 1;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/** Every member of the object `text` as `[name, raw value text]`, in order, duplicates included; `undefined` when `text` is not an object. */
export function rawMembers(text: string): [string, string][] | undefined {
  let at = skipWhitespace(text, 0);
  if (text.charAt(at) !== '{') return undefined;
  const members: [string, string][] = [];
  at = skipWhitespace(text, at + 1);
  while (at < text.length && text.charAt(at) === '"') {
    const keyEnd = skipString(text, at);
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    at = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1); // past the colon
    const valueEnd = skipValue(text, at);
    members.push([key, text.slice(at, valueEnd)]);
    at = skipWhitespace(text, valueEnd);
    if (text.charAt(at) === ',') at = skipWhitespace(text, at + 1);
  }
  return members;
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
  return rawMembers(text)?.filter(([key]) => key === name).pop()?.[1];
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
