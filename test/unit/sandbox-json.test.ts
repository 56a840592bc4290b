import { createHash } from 'node:crypto';
import { canonicalJson, payloadHash } from '../../local/sandbox/canonical-json';
import { JsonNumber, JsonSyntaxError, parseLosslessJson, toPlain } from '../../local/sandbox/lossless-json';

describe('parseLosslessJson', () => {
  it('parses what JSON.parse parses', () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{},"c":[]}';

    expect(toPlain(parseLosslessJson(text))).toEqual(JSON.parse(text));
  });

  it('keeps the text of every number', () => {
    const parsed = parseLosslessJson(' {"big": 123456789012345678901234567890, "d": 1.10, "e": 1E+400} ') as Record<string, JsonNumber>;

    expect([parsed.big!.text, parsed.d!.text, parsed.e!.text]).toEqual(['123456789012345678901234567890', '1.10', '1E+400']);
  });

  it('treats "__proto__" as an ordinary key', () => {
    const parsed = parseLosslessJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;

    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['', 'unexpected character at position 0'],
    ['{"a":1,}', 'invalid string at position 7'],
    ['[1 2]', 'expected "]" at position 3'],
    ['{"a":01}', 'expected "}" at position 6'],
    ['"tab\there"', 'invalid string at position 0'],
    ['{} x', 'unexpected text after the JSON value at position 3'],
  ])('refuses %j with the position', (text, message) => {
    expect(() => parseLosslessJson(text)).toThrow(new JsonSyntaxError(message.replace(/ at position \d+$/, ''), Number(/\d+$/.exec(message)![0])));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops whitespace and keeps number text', () => {
    const value = parseLosslessJson('{ "b": [ {"z": 1.50, "a": null} ], "a": "é\\"", "A": 1e2 }');

    expect(canonicalJson(value)).toBe('{"A":1e2,"a":"é\\"","b":[{"a":null,"z":1.50}]}');
  });

  it('hashes the same payload written two ways to the same SHA-256', () => {
    const expected = createHash('sha256').update('{"amount":100,"currency":"USD"}').digest('hex');

    expect(payloadHash(parseLosslessJson('{"currency":"USD","amount":100}'))).toBe(expected);
    expect(payloadHash(parseLosslessJson('{\n  "amount": 100,\n  "currency": "USD"\n}'))).toBe(expected);
  });
});
