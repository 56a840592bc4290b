/**
 * Synthetic `domain-events` bus events following the forwarding contract
 * (`lambdas/shared/record-event.ts`), shaped like `test/fixtures/eventbridge/record-event-*.json`.
 * Every `badEvery`-th event lacks `recordVersion`, which both modes must route to a dead-letter
 * queue with the reason.
 */
export interface RecordEventSpec {
  readonly events: number;
  /** @default 'evt' */
  readonly idPrefix?: string;
  /** @default - none */
  readonly badEvery?: number;
  /** @default 'Certyo Record' */
  readonly detailType?: string;
}

export function eventRecordId(spec: RecordEventSpec, index: number): string {
  return `${spec.idPrefix ?? 'evt'}-${index}`;
}

export function isBadEvent(spec: RecordEventSpec, index: number): boolean {
  return spec.badEvery !== undefined && (index + 1) % spec.badEvery === 0;
}

export function recordEvent(spec: RecordEventSpec, index: number): Record<string, unknown> {
  const recordId = eventRecordId(spec, index);
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
    'detail-type': spec.detailType ?? 'Certyo Record',
    source: 'billing.invoices',
    account: '123456789012',
    time: '2026-04-13T10:30:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      database: 'billing',
      collection: 'invoices',
      recordId,
      ...(isBadEvent(spec, index) ? {} : { recordVersion: 'v1' }),
      payload: { invoiceNumber: recordId, amount: (index % 10_000) + 0.5, currency: 'EUR' },
    },
  };
}

export function* recordEvents(spec: RecordEventSpec): Generator<Record<string, unknown>> {
  for (let i = 0; i < spec.events; i++) yield recordEvent(spec, i);
}
