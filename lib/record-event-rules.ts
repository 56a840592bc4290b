/**
 * The direct mode's EventBridge rule patterns and input transformers, generated from the event
 * contract's field table (`lambdas/shared/record-event.ts`) and the record identity
 * (`lambdas/shared/record-identity.ts`), so the rules and the batched forwarder accept the same
 * events and produce the same Certyo records under the same idempotency keys.
 *
 * Why one rule per combination of optional fields: a transformer can only reference paths that
 * exist (EventBridge leaves a variable whose path is missing out of the output, which would
 * produce invalid JSON), and it cannot supply a default. So each rule's pattern pins which
 * optional fields are present (`exists: true/false`) and its template uses either the field or
 * the default (configured tenant, the identity's key) or leaves the field out. The patterns are
 * mutually exclusive: an event matches at most one.
 *
 * A transformer can only concatenate, so it builds the identity's key only for parts that need no
 * escaping and cannot break the JSON string they are written into (`isTemplateSafe`). Events
 * whose key the transformer would have to build from any other part match no forwarding rule:
 * an unsafe-identity rule sends them to the invalid-events queue with a reason naming the field
 * (events that bring their own `idempotencyKey` are forwarded as they are).
 *
 * Plain JSON only (no CDK types), so tests can evaluate the same objects the stack deploys.
 */
import { MANDATORY_STRING_FIELDS, OPTIONAL_STRING_FIELDS, OptionalStringField, PAYLOAD_FIELD } from '../lambdas/shared/record-event';
import { escapeKeyPart, IDENTITY_FIELDS, IdentityField, KEY_ESCAPE, KEY_SEPARATOR, TEMPLATE_UNSAFE_CHARACTERS } from '../lambdas/shared/record-identity';

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

/** Wildcard patterns matching a string that holds an unsafe character (`\` escapes in wildcards). */
const UNSAFE_WILDCARDS = TEMPLATE_UNSAFE_CHARACTERS.map((c) => `*${c === '\\' ? '\\\\' : c}*`);
/** A present value the transformer can key verbatim. */
const SAFE = [{ 'anything-but': { wildcard: UNSAFE_WILDCARDS } }] as const;
const UNSAFE = UNSAFE_WILDCARDS.map((wildcard) => ({ wildcard }));

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
  const ownKey = has('idempotencyKey');
  const detailPattern: Record<string, unknown> = {};
  for (const field of OPTIONAL_STRING_FIELDS) detailPattern[field] = has(field) ? EXISTS : ABSENT;
  for (const field of MANDATORY_STRING_FIELDS) detailPattern[field] = ownKey ? EXISTS : SAFE;
  if (!ownKey && has('tenantId')) detailPattern.tenantId = SAFE;

  const variables = [...MANDATORY_STRING_FIELDS, PAYLOAD_FIELD, ...present];
  const inputPathsMap = Object.fromEntries(variables.map((field) => [field, `$.detail.${field}`]));

  // Inside quotes EventBridge inserts the raw text, so the key is the parts joined, which equals
  // the identity's key for the safe parts the pattern admits. The default tenant is a constant:
  // escaped here as the identity module escapes it, then as JSON string content.
  const tenantPart = has('tenantId') ? '<tenantId>' : JSON.stringify(escapeKeyPart(defaultTenantId)).slice(1, -1);
  const keyTemplate = IDENTITY_FIELDS.map((field) => (field === 'tenantId' ? tenantPart : `<${field}>`)).join(KEY_SEPARATOR);
  // Same field order and defaults as `toCertyoRecord`. Unquoted `<var>` inserts the value as JSON.
  const members = [
    `"tenantId":${has('tenantId') ? '<tenantId>' : JSON.stringify(defaultTenantId)}`,
    ...MANDATORY_STRING_FIELDS.map((field) => `"${field}":<${field}>`),
    `"recordPayload":<${PAYLOAD_FIELD}>`,
    ...(has('operationType') ? ['"operationType":<operationType>'] : []),
    ...(has('sourceTimestamp') ? ['"sourceTimestamp":<sourceTimestamp>'] : []),
    `"idempotencyKey":${ownKey ? '<idempotencyKey>' : `"${keyTemplate}"`}`,
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

/** `tenantId` is optional: absent (the configured tenant) or keyable. */
const TENANT_SAFE = [...ABSENT, ...SAFE];

/**
 * Exactly the events some forwarding variant matches (the variants differ only in which
 * optional fields they pin): one rule with this pattern starts the verification of every
 * forwarded event, instead of one more target on each of the 16 rules.
 */
export function forwardedEventPattern(selector: EventSelector): EventPatternJson {
  const fields = (condition: PatternValue) => Object.fromEntries(MANDATORY_STRING_FIELDS.map((field) => [field, condition]));
  return {
    ...selectorPattern(selector),
    detail: {
      $or: [
        { idempotencyKey: EXISTS, ...fields(EXISTS) },
        { idempotencyKey: ABSENT, tenantId: TENANT_SAFE, ...fields(SAFE) },
      ],
    },
  };
}

/** An invalid-events rule: the events it matches and the reason their dead letter carries. */
export interface InvalidEventRoute {
  /** Names the rule: `missing-field`, or the identity field that cannot be keyed. */
  readonly name: string;
  readonly pattern: EventPatternJson;
  readonly reason: string;
}

const MISSING_FIELD_REASON = `a mandatory detail field (${MANDATORY_STRING_FIELDS.join(', ')}) is missing or not a string`;

function unsafeReason(field: IdentityField): string {
  const characters = TEMPLATE_UNSAFE_CHARACTERS.map((c) => JSON.stringify(c)).join(' ');
  return (
    `detail.${field} contains one of ${characters}: the direct mode cannot build an idempotency key from it ` +
    `(${JSON.stringify(KEY_SEPARATOR)} separates the key's parts, ${JSON.stringify(KEY_ESCAPE)} escapes them, quotes and backslashes would break the request body); ` +
    'send the event with its own detail.idempotencyKey, or use the batched forwarding mode, which escapes them'
  );
}

/**
 * The invalid-events rules, mutually exclusive with each other and with the forwarding rules, so
 * every event of the detail-type is either forwarded or dead-lettered once, with a reason:
 * - a mandatory field missing (or an object where a string belongs, which `exists` sees as absent);
 * - otherwise, without an own `idempotencyKey`, the first identity field the transformer cannot
 *   key (earlier fields are keyable, so the reason names the field to fix).
 */
export function invalidEventRoutes(selector: EventSelector): InvalidEventRoute[] {
  const missing: InvalidEventRoute = {
    name: 'missing-field',
    pattern: { ...selectorPattern(selector), detail: { $or: MANDATORY_STRING_FIELDS.map((field) => ({ [field]: ABSENT })) } },
    reason: MISSING_FIELD_REASON,
  };
  const unsafe = IDENTITY_FIELDS.map((field, position): InvalidEventRoute => {
    const detail: Record<string, unknown> = { idempotencyKey: ABSENT };
    IDENTITY_FIELDS.forEach((other, otherPosition) => {
      if (otherPosition < position) detail[other] = other === 'tenantId' ? TENANT_SAFE : SAFE;
      else if (otherPosition > position) detail[other] = EXISTS;
    });
    detail[field] = UNSAFE;
    return { name: `unsafe-${field}`, pattern: { ...selectorPattern(selector), detail }, reason: unsafeReason(field) };
  });
  return [missing, ...unsafe];
}

/** Batched mode: every event of the detail-type goes to the buffer; the forwarder validates with reasons. */
export function batchedEventPattern(selector: EventSelector): EventPatternJson {
  return selectorPattern(selector);
}
