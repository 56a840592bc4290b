/**
 * One record of a file → one Certyo record. Defaults follow the seed's S3 Lambda (database
 * `s3-{bucket}`, collection = the key's folder, id from the record's `id`), except where the
 * seed loses data:
 * - the record version is the record's own version field, else its place in the object version
 *   (`{key}@{versionId or ETag}#{index}`), never the event's date: every element of a file is its
 *   own record version (several versions of one id in one file are all stored), two uploads are
 *   two versions, and a redelivered notification names the same versions, so it replays;
 * - the idempotency key is the shared record identity's (`../shared/record-identity.ts`), which
 *   includes that version;
 * - a record without an id gets `{key}#{index}`, not the file name (which every record of
 *   the file would share);
 * - the payload is the record's own text, so numbers beyond 2^53 keep their digits.
 */
import { isUtf8 } from 'node:buffer';
import { CertyoRecord } from '../shared/certyo-types';
import { RawJson } from '../shared/json';
import { FileTask, versionToken } from './file-task';
import { RawElement } from './json-splitter';
import { rawAtPath } from '../shared/raw-json-path';
import { withIdempotencyKey } from '../shared/record-identity';

export interface MappingOptions {
  readonly tenantId: string;
  /** Dot path of the record id. @default 'id' */
  readonly recordIdPath: string;
  /** Dot path of the record version. @default 'version' */
  readonly recordVersionPath: string;
  /** @default - `s3-{bucket}` */
  readonly database?: string;
}

export type MappedRecord = { readonly ok: true; readonly record: CertyoRecord } | { readonly ok: false; readonly reason: string };


function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The value at a dot path of a parsed record, `undefined` when a step is missing or not an object. */
const pathSteps = new Map<string, readonly string[]>();

function valueAtPath(parsed: unknown, path: string): unknown {
  let steps = pathSteps.get(path);
  if (steps === undefined) pathSteps.set(path, (steps = path.split('.')));
  let current = parsed;
  for (const step of steps) {
    if (kindOf(current) !== 'an object' || !Object.hasOwn(current as object, step)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/**
 * A string or number field as text (numbers verbatim, from the record's text, since the parsed
 * number may have lost digits); `undefined` when absent or null. The parsed record answers
 * everything else, so the text is scanned only for numbers.
 */
function textField(parsed: unknown, text: string, path: string): { value?: string; problem?: string } {
  const value = valueAtPath(parsed, path);
  if (value === undefined || value === null) return {};
  if (typeof value === 'number') return { value: rawAtPath(text, path) as string };
  if (typeof value === 'string') return value.trim() === '' ? { problem: `field "${path}" is an empty string` } : { value };
  return { problem: `field "${path}" is ${kindOf(value)}, expected a string or a number` };
}

/** The key's folder, as the seed does (`a/b/c.json` → `a/b`), or `root`. */
export function collectionOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash > 0 ? key.slice(0, slash) : 'root';
}

/** The version of an element that has no version field: where it sits in which object version. */
export function elementVersion(task: FileTask, index: number): string {
  return `${task.key}@${versionToken(task)}#${index}`;
}

export function mapRecord(element: RawElement, task: FileTask, options: MappingOptions, maxRecordBytes: number): MappedRecord {
  if (element.bytes === undefined) {
    return { ok: false, reason: `record is ${element.size} bytes, more than the ${maxRecordBytes}-byte limit` };
  }
  // A native check, then a plain decode: cheaper per record than a fatal TextDecoder, same verdict.
  if (!isUtf8(element.bytes)) return { ok: false, reason: 'record is not valid UTF-8' };
  const text = element.bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  if (kindOf(parsed) !== 'an object') return { ok: false, reason: `record is ${kindOf(parsed)}, expected a JSON object` };

  const id = textField(parsed, text, options.recordIdPath);
  if (id.problem) return { ok: false, reason: id.problem };
  const version = textField(parsed, text, options.recordVersionPath);
  if (version.problem) return { ok: false, reason: version.problem };
  const recordId = id.value ?? `${task.key}#${element.index}`;
  return {
    ok: true,
    record: withIdempotencyKey({
      tenantId: options.tenantId,
      database: options.database ?? `s3-${task.bucket}`,
      collection: collectionOf(task.key),
      recordId,
      recordVersion: version.value ?? elementVersion(task, element.index),
      recordPayload: new RawJson(text),
      sourceTimestamp: task.eventTime,
      operationType: 'upsert',
    }),
  };
}
