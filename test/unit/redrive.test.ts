import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { formatSummary } from '../../scripts/redrive';
import { parseRedriveArgs, RedriveArgs } from '../../scripts/redrive/args';
import { busOfRuleArn, toPutEventsEntry } from '../../scripts/redrive/event-entry';
import { renderBar, streamProgress } from '../../scripts/redrive/progress';
import { runRedrive } from '../../scripts/redrive/run-redrive';

const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/CertyoPipelineStack-DirectForwardingFailedDeliveries';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:CertyoPipelineStack-DirectForwardingFailedDeliveries';
const SOURCE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/CertyoPipelineStack-BatchedForwardingBuffer';

const apiDestinationLetter = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'eventbridge', 'dlq-message-api-destination.json'), 'utf8')) as Message;

/** The fixture's dead letter as message `n`, optionally with another error. */
function letter(n: number, error?: { code: string; message: string }): Message {
  return {
    ...apiDestinationLetter,
    MessageId: `msg-${n}`,
    ReceiptHandle: `rh-${n}`,
    MessageAttributes: {
      ...apiDestinationLetter.MessageAttributes,
      ...(error ? { ERROR_CODE: { DataType: 'String', StringValue: error.code }, ERROR_MESSAGE: { DataType: 'String', StringValue: error.message } } : {}),
    },
  };
}

describe('runRedrive', () => {
  const sqs = mockClient(SQSClient);
  const events = mockClient(EventBridgeClient);
  const progress: { done: number; total: number; final: boolean }[] = [];
  const deps = () => ({
    sqs: new SQSClient({}),
    events: new EventBridgeClient({}),
    progress: { update: (done: number, total: number) => progress.push({ done, total, final: false }), finish: (done: number, total: number) => progress.push({ done, total, final: true }) },
    sleep: async () => undefined,
  });
  const args = (overrides: Partial<RedriveArgs> = {}): RedriveArgs => ({ queue: DLQ_URL, dryRun: false, bus: 'domain-events', ...overrides });

  /** A queue holding `messages`, handed out 10 at a time. */
  function queueHolding(messages: Message[], sources: string[] = []): void {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: DLQ_ARN, ApproximateNumberOfMessages: String(messages.length) } });
    sqs.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: sources });
    let next = 0;
    sqs.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages?: number }) => {
      const page = messages.slice(next, next + (input.MaxNumberOfMessages ?? 1));
      next += page.length;
      return { Messages: page };
    });
    sqs.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] }));
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  }

  beforeEach(() => {
    sqs.reset();
    events.reset();
    progress.length = 0;
  });

  it('republishes EventBridge dead letters as the original events to the bus of their rule, then deletes them', async () => {
    // Arrange
    queueHolding([letter(1), letter(2, { code: 'SDK_CLIENT_ERROR', message: 'Client error with status code 429' }), letter(3)]);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }, { EventId: 'c' }] });

    // Act
    const summary = await runRedrive(args(), deps());

    // Assert
    const entries = events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toEqual({
      EventBusName: 'domain-events',
      Source: 'billing.invoices',
      DetailType: 'Certyo Record',
      Detail: '{"database":"billing","collection":"invoices","recordId":"INV-2026-0042","recordVersion":"v1","payload":{"amount":1500}}',
      Time: new Date('2026-04-13T10:30:00Z'),
    });
    expect(sqs.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle))).toEqual(['rh-1', 'rh-2', 'rh-3']);
    expect(summary).toMatchObject({
      mode: 'put-events',
      destinations: ['domain-events'],
      listed: 3,
      republished: 3,
      failed: [],
      skipped: [],
      groups: [
        { error: 'SDK_CLIENT_ERROR: Client error with status code 400', count: 2 },
        { error: 'SDK_CLIENT_ERROR: Client error with status code 429', count: 1 },
      ],
    });
    expect(progress.at(-1)).toEqual({ done: 3, total: 3, final: true });
  });

  it('changes nothing in a dry run and makes the listed messages visible again', async () => {
    // Arrange
    queueHolding([letter(1), letter(2)]);

    // Act
    const summary = await runRedrive(args({ dryRun: true }), deps());

    // Assert
    expect(events.commandCalls(PutEventsCommand)).toEqual([]);
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toEqual([]);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((c) => c.args[0].input.Entries)).toEqual([
      { Id: '0', ReceiptHandle: 'rh-1', VisibilityTimeout: 0 },
      { Id: '1', ReceiptHandle: 'rh-2', VisibilityTimeout: 0 },
    ]);
    expect(summary).toMatchObject({ listed: 2, republished: 0, dryRun: true });
  });

  it('handles at most --max messages', async () => {
    // Arrange
    queueHolding(Array.from({ length: 25 }, (_, i) => letter(i)));
    events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'x' })) }));

    // Act
    const summary = await runRedrive(args({ max: 12 }), deps());

    // Assert
    expect(sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages)).toEqual([10, 2]);
    expect(summary).toMatchObject({ listed: 12, republished: 12 });
  });

  it('keeps a message whose PutEvents entry failed, and says why', async () => {
    // Arrange
    queueHolding([letter(1), letter(2)]);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });

    // Act
    const summary = await runRedrive(args(), deps());

    // Assert
    expect(sqs.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle))).toEqual(['rh-1']);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle))).toEqual(['rh-2']);
    expect(summary.failed).toEqual([{ messageId: 'msg-2', reason: 'PutEvents: ThrottlingException Rate exceeded' }]);
  });

  it('skips and keeps a message that is not an EventBridge event, and sends rejected events without RULE_ARN to --bus', async () => {
    // Arrange
    const rejected: Message = {
      MessageId: 'rejected-1',
      ReceiptHandle: 'rh-r',
      Body: apiDestinationLetter.Body,
      MessageAttributes: {
        ERROR_CODE: { DataType: 'String', StringValue: 'INVALID_RECORD' },
        ERROR_MESSAGE: { DataType: 'String', StringValue: 'detail.recordVersion is required' },
        SOURCE: { DataType: 'String', StringValue: 'sqs message 3e3c' },
      },
    };
    queueHolding([{ MessageId: 'junk', ReceiptHandle: 'rh-j', Body: 'not json' }, rejected]);
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }] });

    // Act
    const summary = await runRedrive(args({ bus: 'staging-events' }), deps());

    // Assert
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.map((e) => e.EventBusName)).toEqual(['staging-events']);
    expect(summary.skipped).toEqual([{ messageId: 'junk', reason: 'body is not JSON, so not an EventBridge event' }]);
    expect(summary.groups).toEqual([
      { error: 'INVALID_RECORD: detail.recordVersion is required', count: 1 },
      { error: 'no error attributes', count: 1 },
    ]);
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle))).toEqual(['rh-j']);
  });

  it('moves a redrive dead-letter queue back to its source with a message move task, following it to the end', async () => {
    // Arrange
    queueHolding([{ MessageId: 'a', ReceiptHandle: 'rh-a', Body: '{}' }, { MessageId: 'b', ReceiptHandle: 'rh-b', Body: '{}' }], [SOURCE_URL]);
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 2 }] })
      .resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 2, ApproximateNumberOfMessagesToMove: 2 }] });

    // Act
    const summary = await runRedrive(args(), deps());

    // Assert
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((c) => c.args[0].input)).toEqual([{ SourceArn: DLQ_ARN }]);
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toEqual([]);
    expect(summary).toMatchObject({
      mode: 'move-task',
      destinations: [SOURCE_URL],
      republished: 2,
      failed: [],
      groups: [{ error: 'no error attributes: received maxReceiveCount times from the source queue (see its consumer’s logs)', count: 2 }],
    });
    expect(progress.filter((p) => !p.final).map((p) => p.done)).toEqual(expect.arrayContaining([1, 2]));
  });

  it('with --max, sends redrive dead letters back to the source queue one by one and deletes them', async () => {
    // Arrange
    const attributes = { ERROR_CODE: { DataType: 'String', StringValue: 'X' } };
    queueHolding([{ MessageId: 'a', ReceiptHandle: 'rh-a', Body: '{"a":1}', MessageAttributes: attributes }, { MessageId: 'b', ReceiptHandle: 'rh-b', Body: '{"b":2}' }, { MessageId: 'c', ReceiptHandle: 'rh-c', Body: '{}' }], [SOURCE_URL]);
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: '0', MessageId: 'n0', MD5OfMessageBody: '' }, { Id: '1', MessageId: 'n1', MD5OfMessageBody: '' }], Failed: [] });

    // Act
    const summary = await runRedrive(args({ max: 2 }), deps());

    // Assert
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: SOURCE_URL, Entries: [{ Id: '0', MessageBody: '{"a":1}', MessageAttributes: attributes }, { Id: '1', MessageBody: '{"b":2}' }] },
    ]);
    expect(sqs.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle))).toEqual(['rh-a', 'rh-b']);
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toEqual([]);
    expect(summary).toMatchObject({ mode: 'resend', republished: 2 });
  });

  it('resolves a queue name to its URL', async () => {
    // Arrange
    sqs.on(GetQueueUrlCommand, { QueueName: 'failed-deliveries' }).resolves({ QueueUrl: DLQ_URL });
    queueHolding([]);

    // Act
    const summary = await runRedrive(args({ queue: 'failed-deliveries' }), deps());

    // Assert
    expect(summary).toMatchObject({ queueUrl: DLQ_URL, listed: 0, groups: [] });
  });
});

describe('redrive command line', () => {
  it.each([
    [['--queue', 'q'], { queue: 'q', dryRun: false, max: undefined, bus: 'domain-events' }],
    [['--queue=q', '--dry-run', '--max', '5', '--bus', 'b'], { queue: 'q', dryRun: true, max: 5, bus: 'b' }],
  ])('parses %p', (argv, expected) => {
    expect(parseRedriveArgs(argv)).toEqual(expected);
  });

  it('answers help to --help', () => {
    expect(parseRedriveArgs(['--help'])).toBe('help');
  });

  it.each([
    [[], '--queue is required'],
    [['--queue'], '--queue needs a value'],
    [['--queue', 'q', '--max', '0'], '--max must be a whole number of at least 1, got "0"'],
    [['--queue', 'q', '--max', '2.5'], '--max must be a whole number of at least 1, got "2.5"'],
    [['--queue', 'q', '--purge'], 'unknown flag --purge'],
    [['--queue', 'q', '--dry-run=yes'], '--dry-run takes no value'],
    [['q'], 'unexpected argument q'],
  ])('rejects %p naming the flag', (argv, message) => {
    expect(() => parseRedriveArgs(argv)).toThrow(message);
  });

  it('finds the bus in a rule ARN', () => {
    expect(busOfRuleArn('arn:aws:events:eu-west-1:123456789012:rule/domain-events/Forward-1')).toBe('domain-events');
    expect(busOfRuleArn('arn:aws:events:eu-west-1:123456789012:rule/MyRule')).toBe('default');
    expect(busOfRuleArn(undefined)).toBeUndefined();
  });

  it('republishes the event an invalid-events dead letter wraps with its reason, digits intact', () => {
    // Arrange: the body the direct mode's invalid-events rules write.
    const body = '{"reason":"detail.recordId contains one of ...","event":{"source":"billing","detail-type":"Certyo Record","detail":{"recordId":"a|b","n":12345678901234567890123}}}';

    // Act
    const result = toPutEventsEntry({ Body: body, MessageAttributes: {} }, 'domain-events');

    // Assert
    expect(result).toEqual({ ok: true, entry: { EventBusName: 'domain-events', Source: 'billing', DetailType: 'Certyo Record', Detail: '{"recordId":"a|b","n":12345678901234567890123}' } });
  });

  it('draws the progress bar in place on a terminal and once in a log', () => {
    // Arrange
    const tty: string[] = [];
    const log: string[] = [];

    // Act
    const onTty = streamProgress({ isTTY: true, write: (t: string) => tty.push(t) }, 'redriven');
    onTty.update(5, 10);
    onTty.finish(10, 10);
    const inLog = streamProgress({ isTTY: false, write: (t: string) => log.push(t) }, 'redriven');
    inLog.update(5, 10);
    inLog.finish(10, 10);

    // Assert
    expect(renderBar('redriven', 5, 10, 10)).toBe('redriven [#####-----] 5/10');
    expect(tty[0]).toBe(`\r\u001b[2Kredriven [${'#'.repeat(15)}${'-'.repeat(15)}] 5/10`);
    expect(log).toEqual([`redriven [${'#'.repeat(30)}] 10/10\n`]);
  });

  it('summarises by error and lists what stayed in the queue', () => {
    // Act
    const text = formatSummary({
      queueUrl: DLQ_URL,
      mode: 'put-events',
      destinations: ['domain-events'],
      dryRun: false,
      groups: [{ error: 'SDK_CLIENT_ERROR: Client error with status code 400', count: 2 }],
      listed: 2,
      republished: 1,
      failed: [{ messageId: 'msg-2', reason: 'PutEvents: ThrottlingException' }],
      skipped: [],
    });

    // Assert
    expect(text).toContain('       2  SDK_CLIENT_ERROR: Client error with status code 400');
    expect(text).toContain('Republished 1 of 2; 1 failed, 0 skipped (left in the queue).');
    expect(text).toContain('failed  msg-2: PutEvents: ThrottlingException');
  });
});
