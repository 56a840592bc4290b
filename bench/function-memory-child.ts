/**
 * Child process of the `lambdaMemory` figure: runs in the environment the named Lambda deploys
 * with (its `NODE_OPTIONS` heap limits included), loads the function's handler module as a cold
 * start does, then hands the function's own processing its largest realistic input, invocation
 * after invocation, and prints its own peak RSS. Each invocation's input arrives as JSON text
 * and is parsed here, as the Lambda runtime parses the invoke payload. Certyo is the sandbox at
 * the given URL; the AWS services around the function are in-memory stand-ins (their clients'
 * `send`), so the function's real adapters build every request they would send.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent, DynamoDBRecord, SQSEvent } from 'aws-lambda';
import type { Log } from '../lambdas/shared/observability';
import type { DocumentDbEvent } from '../lambdas/mongo-ingest/process-batch';
import type { MeasuredFunction } from './function-memory';
import { mb, peakRssBytes, SampledPeak, startSampler } from './peak-memory';

export interface FunctionMemoryInput {
  readonly fn: MeasuredFunction;
  /** Which of the function's inputs (see `SCENARIOS`). */
  readonly scenario: string;
  readonly sandboxApiKey: string;
  readonly invocations: number;
  /**
   * `write`: only write each invocation's payload to `payloadDir` (a process of its own, so that
   * building the inputs does not count); `measure`: read them back one per invocation, as the
   * runtime receives the invoke payload, and measure.
   */
  readonly mode: 'write' | 'measure';
  readonly payloadDir: string;
  /** The `BatchSize` of the function's event source mapping in the template, for those that have one. */
  readonly batchSize?: number;
}

export interface FunctionMemoryOutput {
  /** What one invocation was handed. */
  readonly input: string;
  /** Size of one invocation's payload as JSON text. */
  readonly payloadBytes: number;
  /** Records (or events, bodies) one invocation carried. */
  readonly items: number;
  readonly invocations: number;
  /** Peak RSS of this process (see `peakRssBytes`). */
  readonly maxRssMb: number;
  readonly maxRssFrom: 'VmHWM' | 'maxRSS';
  /** RSS after the handler module loaded, before the first invocation: the same-run baseline. */
  readonly startRssMb: number;
  readonly sampledPeakMb: SampledPeak;
  /** Most CPU time (user + system) one invocation used, on this machine. */
  readonly maxInvocationCpuMs: number;
  readonly wallMs: number;
}

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** Step Functions' answer to StartExecution; the input the starter built is what counts. */
const fakeSfn = { send: async () => ({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:bench:x', startDate: new Date() }) };
const TENANT = process.env.CERTYO_TENANT_ID ?? 'bench';

/** A string of `n` printable characters, different per record so nothing is shared. */
const filler = (n: number, seed: number): string => `${seed.toString(36)}-`.padEnd(Math.max(0, n), 'abcdefghijklmnopqrstuvwxyz0123456789');

/** Pads every item so that `count` of them fill `budget` bytes of JSON, as measured on the first. */
function padTo<T>(count: number, budget: number, make: (index: number, pad: string) => T): T[] {
  const bare = Buffer.byteLength(JSON.stringify(make(0, '')));
  const pad = Math.floor(budget / count) - bare - 1;
  return Array.from({ length: count }, (_, i) => make(i, filler(pad, i)));
}

interface Scenario {
  readonly input: string;
  readonly items: number;
  /** The invoke payload of invocation `i`, as JSON text. */
  payload(i: number): string;
  invoke(payload: string): Promise<unknown>;
}

/** Slack kept below Lambda's 6 MB for the event's envelope (headers, request context). */
const ENVELOPE_SLACK = 64 * 1024;

/**
 * What every scenario uses. Modules are imported when a scenario is built, so the child (split
 * like the deployed bundles) loads only the measured function's code.
 */
async function shared() {
  const [{ staticApiKey }, { certyoClientFromEnv }, { verificationStarterFromEnv, noVerification }, { MemoryDeadLetters, MemoryQueue }, { LAMBDA_PAYLOAD_BYTES }] = await Promise.all([
    import('../lambdas/shared/api-key'),
    import('../lambdas/shared/certyo-client'),
    import('../lambdas/shared/verification-starter'),
    import('../local/harness/memory-queue'),
    import('../lambdas/forwarder/forward-batch'),
  ]);
  const ingestClient = async (apiKey: string) => {
    const { MemoryBudgetTable } = await import('../local/harness/memory-budget-table');
    return certyoClientFromEnv(process.env, { apiKey: staticApiKey(apiKey), dynamodb: new MemoryBudgetTable(), log: quiet });
  };
  const verification = () => verificationStarterFromEnv(process.env, fakeSfn);
  return { staticApiKey, certyoClientFromEnv, verification, noVerification, MemoryDeadLetters, MemoryQueue, LAMBDA_PAYLOAD_BYTES, ingestClient };
}

/** The deployed batch size, which a batch-reading function's largest input is built from. */
function batchSizeOf(input: FunctionMemoryInput): number {
  if (input.batchSize === undefined || !Number.isInteger(input.batchSize)) throw new Error(`${input.fn}: no event source mapping BatchSize in the templates`);
  return input.batchSize;
}

const SCENARIOS: Readonly<Record<MeasuredFunction, (input: FunctionMemoryInput) => Promise<Scenario>>> = {
  forwarder: async (input) => {
    const { ingestClient, verification, MemoryDeadLetters, MemoryQueue, LAMBDA_PAYLOAD_BYTES } = await shared();
    const { carryPolicy, forwardBatch } = await import('../lambdas/forwarder/forward-batch');
    const { recordEvent } = await import('../local/harness/record-events');
    const batchSize = batchSizeOf(input);
    const deps = {
      certyo: await ingestClient(input.sandboxApiKey),
      deadLetters: new MemoryDeadLetters(),
      visibility: { postpone: async () => undefined },
      verification: verification(),
      tenantId: TENANT,
      carry: carryPolicy(batchSize, Number(process.env.BATCH_WINDOW_SECONDS)),
      now: Date.now,
      log: quiet,
      reporter: { ingested: () => undefined, invalid: () => undefined },
    };
    const event = (i: number, n: number, pad: string): string => {
      const e = recordEvent({ events: batchSize, idPrefix: `m${i}` }, n) as { detail: { payload: Record<string, unknown> } };
      e.detail.payload.note = pad;
      return JSON.stringify(e);
    };
    // Events padded so that a full batch as SQS event records just fits the 6 MB payload: the
    // padding needs no escaping, so each record grows by exactly its length (32 bytes spare for
    // longer ids and amounts further into the batch).
    const probe = new MemoryQueue('Probe');
    probe.send(event(0, 0, ''));
    const bareRecordBytes = Buffer.byteLength(JSON.stringify(probe.receive(1)[0]));
    const padBytes = Math.floor((LAMBDA_PAYLOAD_BYTES - Buffer.byteLength('{"Records":[]}')) / batchSize) - 1 - bareRecordBytes - 32;
    const events = (i: number): string[] => Array.from({ length: batchSize }, (_, n) => event(i, n, filler(padBytes, n)));
    return {
      input: `${batchSize} buffered record events (certyo:batched.batchSize), padded to fill Lambda's 6 MB payload`,
      items: batchSize,
      payload: (i) => {
        const queue = new MemoryQueue('ForwardingBuffer');
        for (const body of events(i)) queue.send(body);
        const records = queue.receive(batchSize, LAMBDA_PAYLOAD_BYTES);
        if (records.length !== batchSize) throw new Error(`forwarder: only ${records.length} of ${batchSize} events fit 6 MB`);
        return JSON.stringify({ Records: records });
      },
      invoke: async (payload) => forwardBatch((JSON.parse(payload) as SQSEvent).Records, { ...deps, deadline: Date.now() + 60_000 }),
    };
  },
  'ddb-ingest': async (input) => {
    const { ingestClient, verification, MemoryDeadLetters, LAMBDA_PAYLOAD_BYTES } = await shared();
    const { processStreamBatch } = await import('../lambdas/ddb-ingest/process-stream');
    const { readDdbIngestSettings } = await import('../lambdas/ddb-ingest/settings');
    const { streamRecords } = await import('../local/harness/ddb-stream');
    const settings = readDdbIngestSettings();
    const certyo = await ingestClient(input.sandboxApiKey);
    const starter = verification();
    // 1,000 items of ~6 KB (a full batch at 6 MB), or MODIFYs of items near DynamoDB's 400 KB
    // limit with both images (NEW_AND_OLD_IMAGES): as many as 6 MB carries.
    const large = input.scenario === 'large-items';
    const count = large ? 8 : batchSizeOf(input);
    const records = (i: number): DynamoDBRecord[] => {
      const base = streamRecords({ records: count, keyPrefix: `M${i}` });
      return padTo(count, LAMBDA_PAYLOAD_BYTES - ENVELOPE_SLACK, (n, pad) => {
        const record = base[n] as DynamoDBRecord & { dynamodb: Record<string, unknown> };
        const image = { ...(record.dynamodb.NewImage as Record<string, unknown>), note: { S: large ? pad.slice(0, pad.length / 2) : pad } };
        return large
          ? { ...record, eventName: 'MODIFY', dynamodb: { ...record.dynamodb, NewImage: image, OldImage: { ...image, status: { S: 'draft' } } } }
          : { ...record, dynamodb: { ...record.dynamodb, NewImage: image } };
      }) as DynamoDBRecord[];
    };
    return {
      input: large ? `${count} MODIFY stream records of ~390 KB items, old and new image (6 MB)` : `${count} INSERT stream records (the batch size) of ~6 KB items (6 MB)`,
      items: count,
      payload: (i) => JSON.stringify({ Records: records(i) }),
      invoke: async (payload) =>
        processStreamBatch((JSON.parse(payload) as { Records: DynamoDBRecord[] }).Records, {
          certyo,
          deadLetters: new MemoryDeadLetters(),
          verification: starter,
          writeBack: { write: async () => 'written' },
          reporter: { batchSent: () => undefined, finished: () => undefined },
          options: { tenantId: TENANT, database: settings.database, ttlDeletes: settings.ttlDeletes, writeBack: settings.writeBack },
          log: quiet,
          now: Date.now,
          sleep: async () => undefined,
          deadline: Date.now() + 60_000,
        }),
    };
  },
  'mongo-ingest': async (input) => {
    const { ingestClient, verification, MemoryDeadLetters, LAMBDA_PAYLOAD_BYTES } = await shared();
    const { processDocumentDbBatch } = await import('../lambdas/mongo-ingest/process-batch');
    const { documentDbChanges } = await import('../local/harness/mongo-changes');
    const count = batchSizeOf(input);
    const certyo = await ingestClient(input.sandboxApiKey);
    const starter = verification();
    const events = (i: number): { event: unknown }[] => {
      const changes = documentDbChanges(count, i * count);
      return padTo(count, LAMBDA_PAYLOAD_BYTES - ENVELOPE_SLACK, (n, pad) => {
        const change = changes[n] as { fullDocument: Record<string, unknown> };
        return { event: { ...change, fullDocument: { ...change.fullDocument, note: pad } } };
      });
    };
    return {
      input: `${count} DocumentDB change events (the batch size), padded to fill 6 MB`,
      items: count,
      payload: (i) => JSON.stringify({ eventSource: 'aws:docdb', eventSourceArn: 'arn:aws:rds:us-east-1:123456789012:cluster:bench', events: events(i) }),
      invoke: async (payload) =>
        processDocumentDbBatch(JSON.parse(payload) as DocumentDbEvent, {
          certyo,
          deadLetters: new MemoryDeadLetters(),
          verification: starter,
          reporter: { batchSent: () => undefined, finished: () => undefined },
          options: { tenantId: TENANT },
          log: quiet,
          deadline: Date.now() + 60_000,
          now: Date.now,
          sleep: async () => undefined,
        }),
    };
  },
  'proxy-tenant-guard': async (input) => {
    const { staticApiKey, certyoClientFromEnv, LAMBDA_PAYLOAD_BYTES } = await shared();
    const { guardTenants } = await import('../lambdas/proxy-tenant-guard/guard');
    const { readGuardSettings } = await import('../lambdas/proxy-tenant-guard/settings');
    const settings = readGuardSettings();
    const consumer = [...settings.tenants.keys()][0] ?? 'bench';
    const tenant = settings.tenants.get(consumer)?.[0] ?? TENANT;
    const deps = {
      tenantsOf: (name: string) => settings.tenants.get(name),
      certyo: certyoClientFromEnv(process.env, { apiKey: staticApiKey(input.sandboxApiKey), maxAttempts: 1, requestTimeoutMs: settings.forwardTimeoutMs, log: quiet }),
      log: quiet,
      now: Date.now,
      forwardTimeoutMs: settings.forwardTimeoutMs,
    };
    const body = (i: number): string => {
      const items = padTo(1000, LAMBDA_PAYLOAD_BYTES - ENVELOPE_SLACK, (n, pad) => ({
        tenantId: tenant,
        database: 'billing',
        collection: 'invoices',
        recordId: `g${i}-${n}`,
        recordVersion: 'v1',
        recordPayload: { note: pad },
        idempotencyKey: `g${i}-${n}-v1`,
      }));
      return JSON.stringify({ items });
    };
    return {
      input: `POST records/bulk with 1,000 records of one of the consumer's tenants, ~${Math.round((LAMBDA_PAYLOAD_BYTES - ENVELOPE_SLACK) / 1024 ** 2)} MB body (Lambda's 6 MB request limit)`,
      items: 1000,
      payload: (i) =>
        JSON.stringify({
          httpMethod: 'POST',
          resource: '/records/bulk',
          path: '/records/bulk',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `bulk-${i}` },
          requestContext: { requestId: `r-${i}`, authorizer: { consumer } },
          isBase64Encoded: false,
          body: body(i),
        }),
      invoke: async (payload) => {
        const response = await guardTenants(JSON.parse(payload) as APIGatewayProxyEvent, deps);
        if (response.statusCode !== 202 && response.statusCode !== 200) throw new Error(`tenant guard answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
        return response;
      },
    };
  },
  'webhook-intake': async () => {
    const { handleWebhook } = await import('../lambdas/webhook-intake/intake');
    const { MAX_ENTRY_BYTES } = await import('../lambdas/webhook-intake/record-body');
    const { signDelivery } = await import('../lambdas/webhook-intake/signature');
    const secret = 'whsec-bench';
    const policy = { source: 'orders', tenantIds: [TENANT], databases: ['shop'] };
    const published: number[] = [];
    const deps = {
      secrets: { get: async () => secret },
      sources: new Map([[policy.source, policy]]),
      deliveries: { claim: async () => 'claimed' as const, markPublished: async () => undefined, release: async () => undefined },
      events: { publish: async (entry: { detail: string }) => String(published.push(entry.detail.length)) },
      detailType: process.env.DETAIL_TYPE ?? 'Certyo Record',
      toleranceSeconds: 300,
      log: quiet,
      now: Date.now,
    };
    // The largest body accepted: the EventBridge entry limit less the event's envelope and slack for the detail's own fields.
    const bodyBytes = MAX_ENTRY_BYTES - 4 * 1024;
    const body = (i: number): string => {
      const record = { database: 'shop', collection: 'orders', recordId: `W-${i}`, recordVersion: '1', payload: { note: '' } };
      record.payload.note = filler(bodyBytes - Buffer.byteLength(JSON.stringify(record)), i);
      return JSON.stringify(record);
    };
    return {
      input: `POST webhooks/{source}, a ${Math.round(bodyBytes / 1024)} KiB record body (the EventBridge entry limit less its envelope)`,
      items: 1,
      payload: (i) => {
        const text = body(i);
        const timestamp = Math.floor(Date.now() / 1000);
        const headers = { 'Content-Type': 'application/json', 'X-Webhook-Id': `d-${i}`, 'X-Webhook-Timestamp': String(timestamp), 'X-Webhook-Signature': signDelivery(secret, `d-${i}`, timestamp, Buffer.from(text)) };
        return JSON.stringify({ httpMethod: 'POST', resource: '/webhooks/{source}', pathParameters: { source: 'orders' }, headers, requestContext: { requestId: `w-${i}` }, isBase64Encoded: false, body: text });
      },
      invoke: async (payload) => {
        const response = await handleWebhook(JSON.parse(payload) as APIGatewayProxyEvent, deps);
        if (response.statusCode !== 202) throw new Error(`webhook intake answered ${response.statusCode}: ${response.body}`);
        return response;
      },
    };
  },
  'proxy-authorizer': async (input) => {
    const { staticApiKey } = await shared();
    const { authorize, CONSUMER_KEY_HEADER } = await import('../lambdas/proxy-authorizer/authorize');
    const { cachedConsumerDirectory } = await import('../lambdas/proxy-authorizer/consumers');
    const key = 'consumer-key-bench-0000000000000000000000';
    const deps = {
      consumers: cachedConsumerDirectory({ consumers: [{ name: 'bench', keyId: 'k1', scopes: ['ingest', 'verify', 'read', 'admin'] }], lookup: async () => ({ value: key, enabled: true }), log: quiet }),
      tenants: new Map([['bench', [TENANT]]]),
      certyoKey: staticApiKey(input.sandboxApiKey),
      log: quiet,
    };
    return {
      input: 'a REQUEST authorizer event (POST records/bulk) of a known consumer',
      items: 1,
      payload: (i) =>
        JSON.stringify({
          type: 'REQUEST',
          methodArn: 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/POST/records/bulk',
          resource: '/records/bulk',
          path: '/records/bulk',
          httpMethod: 'POST',
          headers: { [CONSUMER_KEY_HEADER]: key, 'Content-Type': 'application/json' },
          requestContext: { requestId: `a-${i}`, identity: { sourceIp: '10.0.0.1' } },
        }),
      invoke: async (payload) => authorize(JSON.parse(payload) as APIGatewayRequestAuthorizerEvent, deps),
    };
  },
  'verify-starter': async (input) => {
    const { verification, noVerification, MemoryQueue, LAMBDA_PAYLOAD_BYTES } = await shared();
    const { startVerifications } = await import('../lambdas/verify-starter/start-verifications');
    const { recordEvent } = await import('../local/harness/record-events');
    const count = batchSizeOf(input);
    const deps = { verification: verification(), tenantId: TENANT, log: quiet };
    if (deps.verification === noVerification) throw new Error('verify-starter: the template gives it no workflow (VERIFY_STATE_MACHINE_ARN)');
    return {
      input: `${count} forwarded record events (the verification queue's batch size)`,
      items: count,
      payload: (i) => {
        const queue = new MemoryQueue('VerifyQueue');
        for (let n = 0; n < count; n++) queue.send(JSON.stringify(recordEvent({ events: count, idPrefix: `v${i}` }, n)));
        return JSON.stringify({ Records: queue.receive(count, LAMBDA_PAYLOAD_BYTES) });
      },
      invoke: async (payload) => startVerifications((JSON.parse(payload) as SQSEvent).Records.map((r) => r.body), deps),
    };
  },
  'connection-key-sync': async (input) => {
    const { staticApiKey } = await shared();
    const { syncConnectionKey } = await import('../lambdas/connection-key-sync/sync-key');
    const { eventBridgeConnectionUpdater } = await import('../lambdas/connection-key-sync/connection-updater');
    const deps = { key: staticApiKey(input.sandboxApiKey), connections: eventBridgeConnectionUpdater({ send: async () => ({}) }), log: quiet };
    const settings = { connectionName: process.env.CONNECTION_NAME ?? 'bench', headerName: process.env.API_KEY_HEADER ?? 'X-API-Key' };
    return {
      input: 'a Secrets Manager PutSecretValue event (CloudTrail via EventBridge)',
      items: 1,
      payload: (i) =>
        JSON.stringify({
          version: '0',
          id: `k-${i}`,
          'detail-type': 'AWS API Call via CloudTrail',
          source: 'aws.secretsmanager',
          detail: { eventSource: 'secretsmanager.amazonaws.com', eventName: 'PutSecretValue', requestParameters: { secretId: process.env.CERTYO_SECRET_ARN } },
        }),
      invoke: async (payload) => syncConnectionKey(JSON.parse(payload), settings, deps),
    };
  },
};

/** The handler module, loaded for what its initialisation holds (SDK clients, logger, settings); its handler is not called. */
const HANDLERS: Readonly<Record<MeasuredFunction, () => Promise<unknown>>> = {
  forwarder: () => import('../lambdas/forwarder/handler'),
  'ddb-ingest': () => import('../lambdas/ddb-ingest/handler'),
  'mongo-ingest': () => import('../lambdas/mongo-ingest/handler'),
  'proxy-tenant-guard': () => import('../lambdas/proxy-tenant-guard/handler'),
  'webhook-intake': () => import('../lambdas/webhook-intake/handler'),
  'proxy-authorizer': () => import('../lambdas/proxy-authorizer/handler'),
  'verify-starter': () => import('../lambdas/verify-starter/handler'),
  'connection-key-sync': () => import('../lambdas/connection-key-sync/handler'),
};

const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as FunctionMemoryInput;
  const payloadFile = (i: number): string => path.join(input.payloadDir, `${i}.json`);
  if (input.mode === 'write') {
    const scenario = await SCENARIOS[input.fn](input);
    for (let i = 0; i < input.invocations; i++) fs.writeFileSync(payloadFile(i), scenario.payload(i));
    process.stdout.write(`\n${JSON.stringify({ written: input.invocations })}\n`);
    return;
  }
  await HANDLERS[input.fn]();
  const scenario = await SCENARIOS[input.fn](input);
  const startRssMb = mb(process.memoryUsage.rss());
  const sampler = startSampler();
  const started = Date.now();
  let payloadBytes = 0;
  let maxInvocationCpuMs = 0;
  for (let i = 0; i < input.invocations; i++) {
    let payload: string | undefined = fs.readFileSync(payloadFile(i), 'utf8');
    payloadBytes = Math.max(payloadBytes, Buffer.byteLength(payload));
    const cpu = process.cpuUsage();
    await scenario.invoke(payload);
    maxInvocationCpuMs = Math.max(maxInvocationCpuMs, cpuMs(process.cpuUsage(cpu)));
    // The runtime drops the payload once the handler returns.
    payload = undefined;
  }
  const sampledPeakMb = sampler.stop();
  const rss = peakRssBytes();
  const output: FunctionMemoryOutput = {
    input: scenario.input,
    payloadBytes,
    items: scenario.items,
    invocations: input.invocations,
    maxRssMb: mb(rss.bytes),
    maxRssFrom: rss.source,
    startRssMb,
    sampledPeakMb,
    maxInvocationCpuMs: Math.round(maxInvocationCpuMs),
    wallMs: Date.now() - started,
  };
  process.stdout.write(`\n${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
