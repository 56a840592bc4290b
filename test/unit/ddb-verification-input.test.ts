/**
 * What the DynamoDB ingest hands the verification starter: with `certyo:dynamodb.writeBack` on,
 * each accepted record carries where its item is (table + the stream record's `Keys`), so the
 * workflow can settle `certyo_status`; deletes carry nothing, and with write-back off nothing
 * changes for the starter.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { processStreamBatch } from '../../lambdas/ddb-ingest/process-stream';
import { createVerificationStarter, VerificationInput } from '../../lambdas/shared/verification-starter';
import { fixtureRecord, harness } from '../helpers/ddb-fakes';

const writeBackOn = { tenantId: 'acme', database: 'dynamodb', ttlDeletes: 'ingest' as const, writeBack: true };

describe('processStreamBatch: verification input', () => {
  it('with write-back on, an INSERT and a MODIFY carry their table and key; a REMOVE carries none', async () => {
    // Arrange
    const deps = harness({ options: writeBackOn });

    // Act
    await processStreamBatch([fixtureRecord('insert.json'), fixtureRecord('modify.json'), fixtureRecord('remove.json')], deps);

    // Assert
    expect(deps.verification.started.map((a) => [a.record.operationType, a.writeBack])).toEqual([
      ['insert', { tableName: 'orders', key: fixtureRecord('insert.json').dynamodb?.Keys }],
      ['update', { tableName: 'orders', key: fixtureRecord('modify.json').dynamodb?.Keys }],
      ['delete', undefined],
    ]);
  });

  it('with write-back off, the accepted records are passed as they are', async () => {
    // Arrange
    const deps = harness();

    // Act
    await processStreamBatch([fixtureRecord('insert.json')], deps);

    // Assert
    expect(deps.verification.started).toHaveLength(1);
    expect(deps.verification.started[0]).not.toHaveProperty('writeBack');
  });

  it('through the real starter: the execution input lists the item, its key as DynamoDB JSON and the accepted hash', async () => {
    // Arrange
    const sfnMock = mockClient(SFNClient);
    sfnMock.on(StartExecutionCommand).resolves({});
    const verification = createVerificationStarter({ stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:V', policy: { kind: 'all' }, sfn: new SFNClient({}) });
    const deps = harness({ options: writeBackOn, verification });

    // Act
    await processStreamBatch([fixtureRecord('insert.json')], deps);

    // Assert
    const input = JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input as string) as VerificationInput;
    sfnMock.restore();
    expect(input.writeBacks).toEqual([{ tableName: 'orders', key: { pk: { S: 'CUSTOMER#42' }, sk: { S: 'ORDER#2026-0001' } }, recordHash: input.recordHash }]);
    expect(deps.writeBack.writes[0]?.result.recordHash).toBe(input.recordHash);
  });
});
