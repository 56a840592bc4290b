import { ConditionalCheckFailedException, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { dynamoDbWriteBack, MAX_COMPARED_ATTRIBUTES, writeBackRequest } from '../../lambdas/ddb-ingest/write-back';
import { WriteBackTarget } from '../../lambdas/ddb-ingest/stream-change';
import { IngestResult } from '../../lambdas/shared/certyo-types';
import { fixtureRecord } from '../helpers/ddb-fakes';

const RESULT: IngestResult = { recordId: 'CUSTOMER#42|ORDER#2026-0001', recordHash: 'sha256:ab12', tenantId: 'acme', acceptedAt: '2026-04-13T10:30:05Z' };

function target(fixture: string): WriteBackTarget {
  const stream = fixtureRecord(fixture).dynamodb;
  return { table: 'orders', keys: stream?.Keys as WriteBackTarget['keys'], image: stream?.NewImage as WriteBackTarget['image'] };
}

describe('writeBackRequest', () => {
  it('sets pending, the record hash and the acceptance time if the item still exists unchanged', () => {
    // Act
    const request = writeBackRequest(target('modify.json'), RESULT);

    // Assert: every non-key, non-certyo_* attribute of the new image is compared.
    expect(request).toEqual({
      TableName: 'orders',
      Key: { pk: { S: 'CUSTOMER#42' }, sk: { S: 'ORDER#2026-0001' } },
      UpdateExpression: 'SET #status = :status, #hash = :hash, #at = :at',
      ConditionExpression: 'attribute_exists(#key) AND #a0 = :a0 AND #a1 = :a1 AND #a2 = :a2 AND #a3 = :a3',
      ExpressionAttributeNames: {
        '#status': 'certyo_status',
        '#hash': 'certyo_record_hash',
        '#at': 'certyo_ingested_at',
        '#key': 'pk',
        '#a0': 'placedAt',
        '#a1': 'shippedAt',
        '#a2': 'status',
        '#a3': 'total',
      },
      ExpressionAttributeValues: {
        ':status': { S: 'pending' },
        ':hash': { S: 'sha256:ab12' },
        ':at': { S: '2026-04-13T10:30:05Z' },
        ':a0': { S: '2026-04-13T10:30:00Z' },
        ':a1': { S: '2026-04-13T10:31:07Z' },
        ':a2': { S: 'shipped' },
        ':a3': { N: '149.9' },
      },
    });
  });

  it('passes binary attributes to the SDK as bytes, nested ones included', () => {
    // Arrange
    const stream = fixtureRecord('binary-and-sets.json').dynamodb;
    const binary: WriteBackTarget = { table: 'files', keys: stream?.Keys as WriteBackTarget['keys'], image: stream?.NewImage as WriteBackTarget['image'] };

    // Act
    const request = writeBackRequest(binary, RESULT);

    // Assert
    expect(request.Key).toEqual({ fileId: { B: Buffer.from('hello') } });
    const values = Object.values(request.ExpressionAttributeValues ?? {});
    expect(values).toContainEqual({ B: Buffer.from('iVBORw0K', 'base64') });
    expect(values).toContainEqual({ BS: [Buffer.from('AQID', 'base64'), Buffer.from('/w==', 'base64'), Buffer.from('AAEC', 'base64')] });
  });

  it(`only checks that the item exists when it has more than ${MAX_COMPARED_ATTRIBUTES} attributes (DynamoDB's 300-operator limit)`, () => {
    // Arrange
    const image: Record<string, unknown> = { id: { S: 'big' } };
    for (let i = 0; i <= MAX_COMPARED_ATTRIBUTES; i++) image[`field${i}`] = { N: String(i) };

    // Act
    const request = writeBackRequest({ table: 'orders', keys: { id: { S: 'big' } }, image }, RESULT);

    // Assert
    expect(request.ConditionExpression).toBe('attribute_exists(#key)');
    expect(Object.keys(request.ExpressionAttributeValues ?? {})).toEqual([':status', ':hash', ':at']);
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

  it('reports superseded when the item changed since (ConditionalCheckFailedException)', async () => {
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
