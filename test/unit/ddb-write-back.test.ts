import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { dynamoDbWriteBack, WRITE_BACK_ATTRIBUTES, writeBackRequest } from '../../lambdas/ddb-ingest/write-back';
import { WriteBackTarget } from '../../lambdas/ddb-ingest/stream-change';
import { IngestResult } from '../../lambdas/shared/certyo-types';
import { fixtureRecord } from '../helpers/ddb-fakes';

const RESULT: IngestResult = { recordId: 'CUSTOMER#42|ORDER#2026-0001', recordHash: 'sha256:ab12', tenantId: 'acme', acceptedAt: '2026-04-13T10:30:05Z' };

function target(fixture: string): WriteBackTarget {
  const stream = fixtureRecord(fixture).dynamodb;
  return { table: 'orders', keys: stream?.Keys as WriteBackTarget['keys'] };
}

describe('writeBackRequest', () => {
  it('sets pending, the record hash and the acceptance time if the item still exists, naming no attribute but those and the key', () => {
    // Act
    const request = writeBackRequest(target('modify.json'), RESULT);

    // Assert: the function's IAM policy allows exactly these attribute names (dynamodb:Attributes), and ReturnValues NONE.
    expect(request).toEqual({
      TableName: 'orders',
      Key: { pk: { S: 'CUSTOMER#42' }, sk: { S: 'ORDER#2026-0001' } },
      UpdateExpression: 'SET #status = :status, #hash = :hash, #at = :at',
      ConditionExpression: 'attribute_exists(#key)',
      ExpressionAttributeNames: { '#status': 'certyo_status', '#hash': 'certyo_record_hash', '#at': 'certyo_ingested_at', '#key': 'pk' },
      ExpressionAttributeValues: { ':status': { S: 'pending' }, ':hash': { S: 'sha256:ab12' }, ':at': { S: '2026-04-13T10:30:05Z' } },
      ReturnValues: 'NONE',
    });
    const named = [...Object.values(request.ExpressionAttributeNames ?? {}), ...Object.keys(request.Key ?? {})];
    expect(new Set(named)).toEqual(new Set([...WRITE_BACK_ATTRIBUTES, 'pk', 'sk']));
  });

  it('passes binary keys to the SDK as bytes', () => {
    // Arrange
    const stream = fixtureRecord('binary-and-sets.json').dynamodb;
    const binary: WriteBackTarget = { table: 'files', keys: stream?.Keys as WriteBackTarget['keys'] };

    // Act
    const request = writeBackRequest(binary, RESULT);

    // Assert
    expect(request.Key).toEqual({ fileId: { B: Buffer.from('hello') } });
  });
});

describe('dynamoDbWriteBack', () => {
  const ddb = mockClient(DynamoDBClient);
  beforeEach(() => ddb.reset());

  it('sends the UpdateItem and reports written', async () => {
    // Arrange
    ddb.on(UpdateItemCommand).resolves({});

    // Act
    const result = await dynamoDbWriteBack(new DynamoDBClient({})).write(target('insert.json'), RESULT);

    // Assert
    expect(result).toBe('written');
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual(writeBackRequest(target('insert.json'), RESULT));
  });

  it('reports superseded when the item no longer exists (ConditionalCheckFailedException)', async () => {
    // Arrange
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act / Assert
    await expect(dynamoDbWriteBack(new DynamoDBClient({})).write(target('insert.json'), RESULT)).resolves.toBe('superseded');
  });

  it('throws any other error, so the record is retried', async () => {
    // Arrange
    const denied = Object.assign(new Error('not authorized to perform dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    ddb.on(UpdateItemCommand).rejects(denied);

    // Act / Assert
    await expect(dynamoDbWriteBack(new DynamoDBClient({})).write(target('insert.json'), RESULT)).rejects.toThrow('dynamodb:UpdateItem');
  });
});
