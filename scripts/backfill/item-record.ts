/**
 * A scanned item → the Certyo record the backfill sends. Payload and `recordId` come from the
 * same shared mapping as the stream ingest (`lambdas/shared/dynamodb-mapping.ts`), so an item
 * anchored by the backfill and by the stream carries the same payload under the same id.
 *
 * A scan has no change token, so the version is the content itself: `recordVersion` is
 * `sha256:<hex>` of the payload, part of the shared record identity's key
 * (`lambdas/shared/record-identity.ts`). Running the backfill again
 * over unchanged items replays instead of anchoring duplicates; a changed item is a new version.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CertyoRecord } from '../../lambdas/shared/certyo-types';
import { AttributeMappingError, payloadJson, recordIdOf } from '../../lambdas/shared/dynamodb-mapping';
import { RawJson } from '../../lambdas/shared/json';
import { withIdempotencyKey } from '../../lambdas/shared/record-identity';

export interface ItemRecordContext {
  readonly tenantId: string;
  readonly database: string;
  readonly table: string;
  /** The table's key attribute names (DescribeTable `KeySchema`). */
  readonly keyNames: readonly string[];
}

export type ItemRecord = { readonly ok: true; readonly record: CertyoRecord } | { readonly ok: false; readonly reason: string; readonly recordId?: string };

export function itemRecord(item: Record<string, AttributeValue>, context: ItemRecordContext): ItemRecord {
  let recordId: string | undefined;
  try {
    const keys: Record<string, AttributeValue> = {};
    for (const name of context.keyNames) {
      const value = item[name];
      if (value === undefined) throw new AttributeMappingError(name, 'key attribute is missing from the item');
      keys[name] = value;
    }
    recordId = recordIdOf(keys);
    const payload = payloadJson(item, 'Item');
    const sha256 = createHash('sha256').update(payload).digest('hex');
    return {
      ok: true,
      record: withIdempotencyKey({
        tenantId: context.tenantId,
        database: context.database,
        collection: context.table,
        recordId,
        recordVersion: `sha256:${sha256}`,
        recordPayload: new RawJson(payload),
        operationType: 'upsert',
      }),
    };
  } catch (error) {
    if (error instanceof AttributeMappingError) return { ok: false, reason: error.message, recordId };
    throw error;
  }
}
