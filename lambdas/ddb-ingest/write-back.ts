/**
 * Optional write-back (`certyo:dynamodb.writeBack`): once Certyo accepted a version of an item,
 * set `certyo_status = pending`, `certyo_record_hash` and `certyo_ingested_at` on the item, as
 * seed 002's verification worker does for MongoDB. The verify workflow later sets
 * `anchored`/`failed`, `certyo_verified_at` and `certyo_tx_hash`.
 *
 * The update touches nothing but these `certyo_*` attributes and the item's key, which the
 * function's IAM policy enforces (`dynamodb:Attributes`, `dynamodb:ReturnValues` NONE): DynamoDB
 * counts every attribute a request reads, writes *or evaluates in its condition*, so the
 * condition may name only the key. It requires the item to exist, so a deleted item is never
 * resurrected as a husk of `certyo_*` attributes (`ConditionalCheckFailedException` is
 * "superseded", not an error). It does not compare the business attributes with the stream
 * record's image (that would need read access to all of them): if the item changed since, the
 * status briefly describes the previous version, until the newer change, which the stream
 * delivers after this one for the same item, is ingested and written back.
 *
 * The write-back's own change comes back through the stream as a `MODIFY` that differs only in
 * `certyo_*` attributes, which `stream-change.ts` skips: no loop.
 */
import { DynamoDBClient, UpdateItemCommand, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { IngestResult } from '../shared/certyo-types';
import { toSdkAttributeMap } from '../shared/dynamodb-attributes';
import { WriteBackTarget } from './stream-change';

/** The attributes the write-back sets: with the table's key attributes, all its IAM policy allows. */
export const WRITE_BACK_ATTRIBUTES = ['certyo_status', 'certyo_record_hash', 'certyo_ingested_at'] as const;

export type WriteBackResult = 'written' | 'superseded';

export interface WriteBack {
  write(target: WriteBackTarget, result: IngestResult): Promise<WriteBackResult>;
}

export function writeBackRequest(target: WriteBackTarget, result: IngestResult): UpdateItemCommandInput {
  const [status, hash, at] = WRITE_BACK_ATTRIBUTES;
  return {
    TableName: target.table,
    Key: toSdkAttributeMap({ ...target.keys }),
    UpdateExpression: 'SET #status = :status, #hash = :hash, #at = :at',
    ConditionExpression: 'attribute_exists(#key)',
    ExpressionAttributeNames: { '#status': status, '#hash': hash, '#at': at, '#key': Object.keys(target.keys).sort()[0] as string },
    ExpressionAttributeValues: { ':status': { S: 'pending' }, ':hash': { S: result.recordHash }, ':at': { S: result.acceptedAt } },
    ReturnValues: 'NONE',
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
