/**
 * A dead-lettered EventBridge event → the `PutEvents` entry that publishes it again. The body
 * of an EventBridge target's dead letter (and of an event the forwarder rejected) is the
 * original event; the invalid-events queue's is `{"reason": "...", "event": <the event>}`. The bus
 * comes from the `RULE_ARN` attribute when it names one.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { packGreedy } from '../../lambdas/shared/pack-greedy';
import { rawAtPath } from '../../lambdas/shared/raw-json-path';

export type EntryResult = { readonly ok: true; readonly entry: PutEventsRequestEntry } | { readonly ok: false; readonly reason: string };

/** `arn:aws:events:<region>:<account>:rule/<bus>/<rule>` names a custom bus; `rule/<rule>` is the default bus. */
export function busOfRuleArn(ruleArn: string | undefined): string | undefined {
  const match = ruleArn ? /^arn:[^:]+:events:[^:]*:\d*:rule\/(.+)$/.exec(ruleArn) : null;
  if (!match) return undefined;
  const parts = (match[1] as string).split('/');
  return parts.length >= 2 ? parts.slice(0, -1).join('/') : 'default';
}

export function toPutEventsEntry(message: Message, fallbackBus: string): EntryResult {
  const body = message.Body ?? '';
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON, so not an EventBridge event' };
  }
  let e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  let detailPath = 'detail';
  if (typeof e.reason === 'string' && typeof e.event === 'object' && e.event !== null) {
    e = e.event as Record<string, unknown>;
    detailPath = 'event.detail';
  }
  if (typeof e.source !== 'string' || typeof e['detail-type'] !== 'string' || typeof e.detail !== 'object' || e.detail === null) {
    return { ok: false, reason: 'body is not an EventBridge event (needs source, detail-type and an object detail)' };
  }
  const time = typeof e.time === 'string' ? new Date(e.time) : undefined;
  const resources = Array.isArray(e.resources) ? e.resources.filter((r): r is string => typeof r === 'string') : [];
  return {
    ok: true,
    entry: {
      EventBusName: busOfRuleArn(message.MessageAttributes?.RULE_ARN?.StringValue) ?? fallbackBus,
      Source: e.source,
      DetailType: e['detail-type'],
      // The detail's own text, so numbers beyond 2^53 keep every digit.
      Detail: rawAtPath(body, detailPath) ?? JSON.stringify(e.detail),
      ...(resources.length > 0 ? { Resources: resources } : {}),
      ...(time && !Number.isNaN(time.getTime()) ? { Time: time } : {}),
    },
  };
}

/** PutEvents limits: 10 entries and 256 KiB per request (entry sizes as EventBridge counts them, roughly). */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export function entryBytes(entry: PutEventsRequestEntry): number {
  const text = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return 14 + text(entry.Source) + text(entry.DetailType) + text(entry.Detail) + (entry.Resources ?? []).reduce((n, r) => n + text(r), 0);
}

export function packEntries<T extends { entry: PutEventsRequestEntry }>(items: readonly T[]): T[][] {
  return packGreedy(items, { maxItems: MAX_ENTRIES, maxBytes: MAX_REQUEST_BYTES, sizeOf: (item) => entryBytes(item.entry) });
}
