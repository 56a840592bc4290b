/**
 * The direct mode's EventBridge rule patterns and input transformers, generated from the event
 * contract's field table (`lambdas/shared/record-event.ts`), so the rules and the batched
 * forwarder accept the same events and produce the same Certyo records.
 *
 * Why one rule per combination of optional fields: a transformer can only reference paths that
 * exist (EventBridge leaves a variable whose path is missing out of the output, which would
 * produce invalid JSON), and it cannot supply a default. So each rule's pattern pins which
 * optional fields are present (`exists: true/false`) and its template uses either the field or
 * the default (configured tenant, `{database}-{collection}-{recordId}-{recordVersion}` key) or
 * leaves the field out. The patterns are mutually exclusive: an event matches at most one.
 *
 * Plain JSON only (no CDK types), so tests can evaluate the same objects the stack deploys.
 */
import {
  IDEMPOTENCY_KEY_SEPARATOR,
  MANDATORY_STRING_FIELDS,
  OPTIONAL_STRING_FIELDS,
  OptionalStringField,
  PAYLOAD_FIELD,
} from '../lambdas/shared/record-event';

export interface EventSelector {
  /** `detail-type` of the events to forward. */
  readonly detailType: string;
  /** Accepted `source` values; empty accepts any source. */
  readonly sources: readonly string[];
}

export type PatternValue = readonly (string | Readonly<Record<string, unknown>>)[];
export type EventPatternJson = Readonly<Record<string, unknown>>;

export interface ForwardingVariant {
  /** Which optional fields the matched events carry, e.g. `tenantId+operationType`, or `defaults`. */
  readonly name: string;
  readonly present: readonly OptionalStringField[];
  readonly pattern: EventPatternJson;
  readonly inputPathsMap: Readonly<Record<string, string>>;
  readonly inputTemplate: string;
}

const EXISTS = [{ exists: true }] as const;
const ABSENT = [{ exists: false }] as const;

function selectorPattern(selector: EventSelector): Record<string, unknown> {
  return {
    ...(selector.sources.length > 0 ? { source: [...selector.sources] } : {}),
    'detail-type': [selector.detailType],
  };
}

/** Every subset of the optional fields, in a stable order (none first). */
function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((subset) => [...subset, item])], [[]]);
}

/** `<name>` placeholders are the transformer's syntax; a constant containing one would be substituted. */
function assertConstant(name: string, value: string): void {
  if (/[<>]/.test(value)) throw new Error(`${name} must not contain "<" or ">" (it is written into an EventBridge input template), got ${JSON.stringify(value)}`);
}

function variant(selector: EventSelector, present: readonly OptionalStringField[], defaultTenantId: string): ForwardingVariant {
  const has = (field: OptionalStringField): boolean => present.includes(field);
  const detailPattern: Record<string, unknown> = {};
  for (const field of MANDATORY_STRING_FIELDS) detailPattern[field] = EXISTS;
  for (const field of OPTIONAL_STRING_FIELDS) detailPattern[field] = has(field) ? EXISTS : ABSENT;

  const variables = [...MANDATORY_STRING_FIELDS, PAYLOAD_FIELD, ...present];
  const inputPathsMap = Object.fromEntries(variables.map((field) => [field, `$.detail.${field}`]));

  // Same field order and defaults as `toCertyoRecord`. Unquoted `<var>` inserts the value as JSON.
  const members = [
    `"tenantId":${has('tenantId') ? '<tenantId>' : JSON.stringify(defaultTenantId)}`,
    ...MANDATORY_STRING_FIELDS.map((field) => `"${field}":<${field}>`),
    `"recordPayload":<${PAYLOAD_FIELD}>`,
    ...(has('operationType') ? ['"operationType":<operationType>'] : []),
    ...(has('sourceTimestamp') ? ['"sourceTimestamp":<sourceTimestamp>'] : []),
    // Inside quotes EventBridge inserts the raw text, which concatenates the key's parts.
    `"idempotencyKey":${has('idempotencyKey') ? '<idempotencyKey>' : `"${MANDATORY_STRING_FIELDS.map((field) => `<${field}>`).join(IDEMPOTENCY_KEY_SEPARATOR)}"`}`,
  ];
  return {
    name: present.length > 0 ? present.join('+') : 'defaults',
    present,
    pattern: { ...selectorPattern(selector), detail: detailPattern },
    inputPathsMap,
    inputTemplate: `{${members.join(',')}}`,
  };
}

/** One forwarding rule per combination of optional fields (2^4 = 16). */
export function directForwardingVariants(selector: EventSelector, defaultTenantId: string): ForwardingVariant[] {
  assertConstant('tenantId', defaultTenantId);
  return subsets(OPTIONAL_STRING_FIELDS).map((present) => variant(selector, present, defaultTenantId));
}

/**
 * Exactly the events some forwarding variant matches (the variants differ only in which
 * optional fields they pin): one rule with this pattern starts the verification of every
 * forwarded event, instead of one more target on each of the 16 rules.
 */
export function forwardedEventPattern(selector: EventSelector): EventPatternJson {
  return { ...selectorPattern(selector), detail: Object.fromEntries(MANDATORY_STRING_FIELDS.map((field) => [field, EXISTS])) };
}

/**
 * Events of the forwarded detail-type that lack a mandatory field (or carry an object where a
 * string belongs, which `exists` also sees as absent): they match no forwarding rule, and
 * this pattern sends them to the invalid-events queue instead of letting them vanish.
 */
export function invalidEventPattern(selector: EventSelector): EventPatternJson {
  return {
    ...selectorPattern(selector),
    detail: { $or: MANDATORY_STRING_FIELDS.map((field) => ({ [field]: ABSENT })) },
  };
}

/** Batched mode: every event of the detail-type goes to the buffer; the forwarder validates with reasons. */
export function batchedEventPattern(selector: EventSelector): EventPatternJson {
  return selectorPattern(selector);
}
