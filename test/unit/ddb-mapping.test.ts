import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { AttributeMappingError, attributeJson, itemPayload, payloadJson, recordIdOf } from '../../lambdas/shared/dynamodb-mapping';
import { stringifyJson } from '../../lambdas/shared/json';

function fixture(name: string): DynamoDBStreamEvent {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'dynamodb', name), 'utf8')) as DynamoDBStreamEvent;
}

function newImage(name: string): Record<string, unknown> {
  return fixture(name).Records[0]?.dynamodb?.NewImage as Record<string, unknown>;
}

describe('payloadJson', () => {
  it('maps the INSERT fixture to canonical JSON: keys sorted, lists in order, numbers as written', () => {
    // Act
    const json = payloadJson(newImage('insert.json'), 'NewImage');

    // Assert
    expect(json).toBe(
      '{"items":[{"price":49.95,"qty":2,"sku":"SKU-1"},{"price":50,"qty":1,"sku":"SKU-7"}],' +
        '"pk":"CUSTOMER#42","placedAt":"2026-04-13T10:30:00Z","sk":"ORDER#2026-0001","status":"placed","total":149.9}',
    );
  });

  it('keeps every digit of numbers beyond 2^53 and of long decimals, and sorts number sets by value', () => {
    // Act
    const json = payloadJson(newImage('precision.json'), 'NewImage');

    // Assert
    expect(json).toBe(
      '{"accountId":9007199254740993,"balance":12345678901234567890.123456789012345678,' +
        '"debt":-99999999999999999999999999999999999999,"dust":0.000000000000000000000000000001,' +
        '"ledgerIds":[-1,0.5,9007199254740993,18446744073709551617],"rate":3.14159265358979323846264338327950288}',
    );
    // What the pitfall is about: a JSON.parse round trip would have changed these digits.
    expect(JSON.stringify(JSON.parse(json))).not.toBe(json);
  });

  it('writes binary as base64, sorts string, number and binary sets, and orders map keys by code unit', () => {
    // Act
    const json = payloadJson(newImage('binary-and-sets.json'), 'NewImage');

    // Assert
    expect(json).toBe(
      '{"archived":false,"chunks":["AAEC","AQID","/w=="],"deletedAt":null,"fileId":"aGVsbG8=",' +
        '"meta":{"10":10,"9":9,"a":"first","b":"second"},"sizes":[-1.5,9,10,100],"tags":["Beta","alpha","zeta"],"thumbnail":"iVBORw0K"}',
    );
  });

  it('leaves out top-level certyo_* attributes but keeps nested attributes of that name', () => {
    // Arrange
    const image = {
      id: { S: 'a' },
      certyo_status: { S: 'anchored' },
      certyo_tx_hash: { S: '0xabc' },
      Certyo_note: { S: 'kept: the prefix is case-sensitive' },
      nested: { M: { certyo_status: { S: 'kept' } } },
    };

    // Act
    const json = payloadJson(image, 'NewImage');

    // Assert
    expect(json).toBe('{"Certyo_note":"kept: the prefix is case-sensitive","id":"a","nested":{"certyo_status":"kept"}}');
  });

  it('gives the same payload for the SDK form (bytes) as for the stream form (base64), in any attribute order', () => {
    // Arrange
    const stream = newImage('binary-and-sets.json');
    const sdk = {
      thumbnail: { B: Buffer.from('iVBORw0K', 'base64') },
      tags: { SS: ['alpha', 'zeta', 'Beta'] },
      sizes: { NS: ['100', '-1.5', '10', '9'] },
      meta: { M: { '10': { N: '10' }, a: { S: 'first' }, '9': { N: '9' }, b: { S: 'second' } } },
      fileId: { B: new Uint8Array(Buffer.from('hello')) },
      deletedAt: { NULL: true },
      chunks: { BS: [Uint8Array.from([0xff]), Uint8Array.from([1, 2, 3]), Uint8Array.from([0, 1, 2])] },
      archived: { BOOL: false },
    };

    // Act / Assert
    expect(payloadJson(sdk, 'Item')).toBe(payloadJson(stream, 'NewImage'));
  });

  it('is written verbatim into a request body through RawJson', () => {
    // Act
    const body = stringifyJson({ recordPayload: itemPayload({ n: { N: '9007199254740993' } }, 'Item') });

    // Assert
    expect(body).toBe('{"recordPayload":{"n":9007199254740993}}');
  });

  it.each([
    ['the null-filled shape of aws-lambda-go fixtures', { a: { B: null, BOOL: null, N: null, S: 'x' } }, 'attribute a: has 4 type keys (B, BOOL, N, S)'],
    ['an unknown type', { a: { X: '1' } }, 'attribute a: has unknown type "X"'],
    ['no type', { a: {} }, 'attribute a: has no type'],
    ['a bare value', { a: 'text' }, 'attribute a: is not a DynamoDB attribute value'],
    ['a number given as a JSON number', { a: { N: 5 } }, 'attribute a: number must be given as text, got number'],
    ['a number that is not one', { a: { M: { b: { L: [{ N: '12abc' }] } } } }, 'attribute a.b[0]: "12abc" is not a number'],
    ['invalid base64', { a: { B: 'not base64!' } }, 'attribute a: binary value is neither bytes nor base64 text'],
    ['NULL false', { a: { NULL: false } }, 'attribute a: NULL value must be true'],
    ['a set that is not an array', { a: { SS: 'x' } }, 'attribute a: SS value is not an array'],
  ])('refuses %s, naming the attribute', (_name, image, message) => {
    // Act / Assert
    expect(() => payloadJson(image, 'NewImage')).toThrow(AttributeMappingError);
    expect(() => payloadJson(image, 'NewImage')).toThrow(message);
  });
});

describe('attributeJson', () => {
  it('escapes strings as JSON', () => {
    expect(attributeJson({ S: 'quote " backslash \\ newline \n' }, 's')).toBe('"quote \\" backslash \\\\ newline \\n"');
  });
});

describe('recordIdOf', () => {
  it.each([
    ['one string key: the value itself', { id: { S: 'INV-001' } }, 'INV-001'],
    ['one number key: canonical digits', { accountId: { N: '9007199254740993' } }, '9007199254740993'],
    ['one binary key: base64', { fileId: { B: 'aGVsbG8=' } }, 'aGVsbG8='],
    ['two keys: values ordered by attribute name, joined by |', { sk: { S: 'ORDER#2026-0001' }, pk: { S: 'CUSTOMER#42' } }, 'CUSTOMER#42|ORDER#2026-0001'],
    ['two keys with | and \\ in the values: escaped', { pk: { S: 'a|b' }, sk: { S: 'c\\d' } }, 'a\\|b|c\\\\d'],
    ['a single key is never escaped', { id: { S: 'a|b' } }, 'a|b'],
  ])('%s', (_name, keys, expected) => {
    expect(recordIdOf(keys)).toBe(expected);
  });

  it('keeps composite ids unambiguous where plain joining would not', () => {
    // Arrange: both would be "a|b|c" joined plainly.
    const first = recordIdOf({ pk: { S: 'a|b' }, sk: { S: 'c' } });
    const second = recordIdOf({ pk: { S: 'a' }, sk: { S: 'b|c' } });

    // Assert
    expect(first).not.toBe(second);
  });

  it('refuses keys that are empty or not of a key type', () => {
    expect(() => recordIdOf({})).toThrow('attribute Keys: is empty');
    expect(() => recordIdOf(undefined)).toThrow('attribute Keys: is not an attribute map');
    expect(() => recordIdOf({ id: { BOOL: true } })).toThrow('attribute id: is of type BOOL; key attributes are S, N or B');
  });
});
