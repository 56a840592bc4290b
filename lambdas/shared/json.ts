/**
 * JSON that keeps every digit. `JSON.parse`/`JSON.stringify` turn numbers into doubles, so a
 * DynamoDB number or a JSON number beyond 2^53 would change (and with it the record's hash).
 * A `RawJson` carries already-serialized JSON text that `stringifyJson` writes verbatim.
 */
export class RawJson {
  constructor(readonly json: string) {}
}

const MARKER = '\u0000raw\u0000';

/** `JSON.stringify`, except that `RawJson` values anywhere in `value` are written as their text. */
export function stringifyJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof RawJson) {
      raws.push(v.json);
      return `${MARKER}${raws.length - 1}`;
    }
    return v;
  });
  if (raws.length === 0) return text;
  // The marker starts with a NUL, which JSON.stringify always escapes as \u0000, so a user
  // string can never be mistaken for it.
  return text.replace(/"\\u0000raw\\u0000(\d+)"/g, (_m, i: string) => raws[Number(i)] as string);
}
