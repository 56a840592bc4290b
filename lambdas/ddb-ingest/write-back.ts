/**
 * Optional write-back (`certyo:dynamodb.writeBack`): once Certyo accepted a version of an item,
 * set `certyo_status = pending`, `certyo_record_hash` and `certyo_ingested_at` on the item, as
 * seed 002's verification worker does for MongoDB. The verify workflow later sets
 * `anchored`/`failed`, `certyo_verified_at` and `certyo_tx_hash`.
 *
 * The update is conditional on the item being unchanged since the stream record: it must still
 * exist (so a deleted item is never resurrected as a husk of `certyo_*` attributes) and every
 * non-`certyo_*` attribute of the record's new image must still hold the same value. When the
 * condition fails, a newer change of the item is already in the stream behind this record and
 * its own write-back will set the status, so `ConditionalCheckFailedException` is "superseded",
 * not an error. Items with more than `MAX_COMPARED_ATTRIBUTES` top-level attributes are only
 * checked for existence (DynamoDB caps an expression at 300 operators): a stale status there is
 * overwritten by the newer version's write-back, which the stream delivers in order.
 *
 * The write-back's own change comes back through the stream as a `MODIFY` that differs only in
 * `certyo_*` attributes, which `stream-change.ts` skips: no loop.
 */
import { DynamoDBClient, UpdateItemCommand, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { IngestResult } from '../shared/certyo-types';
import { toSdkAttributeMap, toSdkAttributeValue } from '../shared/dynamodb-attributes';
import { isCertyoAttribute } from '../shared/dynamodb-mapping';
import { WriteBackTarget } from './stream-change';

export const MAX_COMPARED_ATTRIBUTES = 100;

export type WriteBackResult = 'written' | 'superseded';

export interface WriteBack {
  write(target: WriteBackTarget, result: IngestResult): Promise<WriteBackResult>;
}

export function writeBackRequest(target: WriteBackTarget, result: IngestResult): UpdateItemCommandInput {
  const keyNames = Object.keys(target.keys).sort();
  const compared = Object.keys(target.image)
    .filter((name) => !isCertyoAttribute(name) && !keyNames.includes(name))
    .sort();
  const names: Record<string, string> = { '#status': 'certyo_status', '#hash': 'certyo_record_hash', '#at': 'certyo_ingested_at', '#key': keyNames[0] as string };
  const values: UpdateItemCommandInput['ExpressionAttributeValues'] = {
    ':status': { S: 'pending' },
    ':hash': { S: result.recordHash },
    ':at': { S: result.acceptedAt },
  };
  const conditions = ['attribute_exists(#key)'];
  if (compared.length <= MAX_COMPARED_ATTRIBUTES) {
    compared.forEach((name, i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = toSdkAttributeValue(target.image[name]);
      conditions.push(`#a${i} = :a${i}`);
    });
  }
  return {
    TableName: target.table,
    Key: toSdkAttributeMap({ ...target.keys }),
    UpdateExpression: 'SET #status = :status, #hash = :hash, #at = :at',
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export function dynamoDbWriteBack(client: Pick<DynamoDBClient, 'send'>): WriteBack {
  return {
    async write(target, result) {
      try {
        await client.send(new UpdateItemCommand(writeBackRequest(target, result)));
        return 'written';
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return 'superseded';
        throw error;
      }
    },
  };
}
