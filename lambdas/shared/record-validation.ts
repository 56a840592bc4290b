/**
 * Checks a record before it is sent, with the API reference's rules, so a bad record costs no
 * request and is reported by name (record id and field) instead of failing a whole bulk of 1,000.
 * `idempotencyKey` is required here although the API makes it optional: deterministic keys are
 * what make every retry of this client safe (architecture.md, "Conventions").
 */
import { CertyoRecord, OPERATION_TYPES, RecordValidationError } from './certyo-types';

const REQUIRED_STRINGS = ['tenantId', 'database', 'collection', 'recordId', 'idempotencyKey'] as const;
const OPTIONAL_STRINGS = ['clientId', 'recordVersion', 'sourceTimestamp'] as const;

/** The record's id for messages: its `recordId` when it is a usable string, else its position. */
export function recordLabel(record: unknown, index: number): string {
  const id = (record as { recordId?: unknown } | null)?.recordId;
  return typeof id === 'string' && id.trim() !== '' ? JSON.stringify(id) : `#${index}`;
}

/** The first problem of `record`, or undefined when it may be sent. */
export function findRecordProblem(record: unknown, index = 0): RecordValidationError | undefined {
  const label = recordLabel(record, index);
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return new RecordValidationError(label, 'record', 'is not a JSON object');
  }
  const fields = record as Record<string, unknown>;
  for (const field of REQUIRED_STRINGS) {
    const value = fields[field];
    if (value === undefined || value === null) return new RecordValidationError(label, field, 'is required');
    if (typeof value !== 'string') return new RecordValidationError(label, field, `must be a string, got ${typeof value}`);
    if (value.trim() === '') return new RecordValidationError(label, field, 'must not be empty');
  }
  if (fields.recordPayload === undefined || fields.recordPayload === null) {
    return new RecordValidationError(label, 'recordPayload', 'is required');
  }
  for (const field of OPTIONAL_STRINGS) {
    const value = fields[field];
    if (value !== undefined && typeof value !== 'string') {
      return new RecordValidationError(label, field, `must be a string when present, got ${typeof value}`);
    }
  }
  const op = fields.operationType;
  if (op !== undefined && !(OPERATION_TYPES as readonly unknown[]).includes(op)) {
    return new RecordValidationError(label, 'operationType', `must be one of ${OPERATION_TYPES.join('|')}, got ${JSON.stringify(op)}`);
  }
  return undefined;
}

/** Throws the first problem of `record` (single ingest). */
export function assertValidRecord(record: CertyoRecord): void {
  const problem = findRecordProblem(record);
  if (problem) throw problem;
}
