/**
 * The one typed deploy configuration, read from CDK context keys prefixed `certyo:`.
 *
 * Values come from `cdk.json` (JSON types) or from `-c key=value` (always strings), so every
 * parser accepts both. All problems are collected and reported in one error that names each
 * key, the value given and what was expected, so a user fixes everything in one go.
 */

import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_RANGE } from '../lambdas/shared/certyo-types';
import { TENANT_SCOPES } from '../lambdas/proxy-authorizer/routes';
import { SOURCE_NAME } from '../lambdas/webhook-intake/source-secrets';
import type { BudgetPolicy } from '../lambdas/shared/rate-budget';

export const CONTEXT_PREFIX = 'certyo:';

export type ForwardingMode = 'direct' | 'batched';
export type LambdaArchitecture = 'arm64' | 'x86_64';
export type TtlDeletePolicy = 'ingest' | 'skip';
export type WorkflowType = 'STANDARD' | 'EXPRESS';
export type VerifyPolicy =
  | { readonly kind: 'all' }
  | { readonly kind: 'none' }
  | { readonly kind: 'sample'; readonly fraction: number }
  | { readonly kind: 'batch' };
export type ProxyScope = 'ingest' | 'verify' | 'read' | 'admin';

export interface StreamTableConfig {
  readonly tableName: string;
  readonly streamArn: string;
  /**
   * The table's key attribute names (partition key, then sort key if any). Required with
   * `dynamodb.writeBack`: the write-back's IAM policy allows UpdateItem on these and the
   * `certyo_*` attributes only.
   */
  readonly keyAttributes?: readonly string[];
}

/** One DocumentDB change stream to read (`certyo:mongodb.documentdb`). */
export interface DocumentDbSourceConfig {
  readonly clusterArn: string;
  readonly secretArn: string;
  readonly database: string;
  /** Absent: every collection of the database. */
  readonly collection?: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

export interface ProxyConsumerConfig {
  readonly name: string;
  readonly scopes: readonly ProxyScope[];
  /**
   * The tenants whose records the consumer may write or verify: every `tenantId` in the body of
   * `POST records`, `POST records/bulk` and `POST verify/record` must be one of them. Required
   * with the `ingest` or `verify` scope; empty otherwise.
   */
  readonly tenantIds: readonly string[];
  /** Requests per second (may be a fraction); by default derived from the consumer's share of `apiProxy.hourlyRequestShare`. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** The most requests the throttle lets through in one hour: `burstLimit + rateLimit * 3600`. */
  readonly hourlyRequests: number;
  /** When set, the usage plan's quota; otherwise a daily quota of 24 × `hourlyRequests`. */
  readonly monthlyQuota?: number;
}

/** Certyo allows this many requests per hour per API key, for every path together (API reference, seed 001). */
export const CERTYO_REQUESTS_PER_HOUR = 1000;

/**
 * A consumer's default throttle for `hourly` requests per hour: a burst of a tenth of it and a
 * steady rate for the rest, so that burst + rate × 3600 never exceeds `hourly` (rounded down).
 */
export function throttleForHourlyShare(hourly: number): { rateLimit: number; burstLimit: number } {
  const burstLimit = Math.max(1, Math.floor(hourly / 10));
  const rateLimit = Math.max(0, Math.floor(((hourly - burstLimit) / 3600) * 10_000) / 10_000);
  return { rateLimit, burstLimit };
}

export interface WebhookSourceConfig {
  readonly source: string;
  /** The tenants the source may write; the first is written when a delivery names none. */
  readonly tenantIds: readonly string[];
  /** The Certyo databases the source may write. */
  readonly databases: readonly string[];
}

export interface CertyoConfig {
  readonly apiUrl: string;
  readonly tenantId: string;
  readonly secretName: string;
  readonly busName: string;
  readonly lambdaArchitecture: LambdaArchitecture;
  /** Largest bulk request body of every path that sends bulk requests. */
  readonly bulkMaxBodyBytes: number;
  readonly logRetentionDays: number;
  readonly metricsNamespace: string;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  readonly forwarding: {
    readonly mode: ForwardingMode;
    readonly detailType: string;
    readonly sources: readonly string[];
    readonly apiDestinationRateLimitPerSecond: number;
    readonly batchSize: number;
    readonly batchWindowSeconds: number;
  };
  readonly s3: {
    readonly enabled: boolean;
    readonly bucketName?: string;
    readonly prefix?: string;
    readonly suffix?: string;
    readonly recordIdField: string;
  };
  readonly dynamodb: {
    readonly enabled: boolean;
    readonly tables: readonly StreamTableConfig[];
    readonly database: string;
    readonly ttlDeletes: TtlDeletePolicy;
    readonly writeBack: boolean;
    readonly batchSize: number;
    readonly batchWindowSeconds: number;
  };
  readonly mongodb: {
    /** Atlas Trigger partner event sources (`aws.partner/mongodb.com/...`). */
    readonly atlasEventSources: readonly string[];
    readonly documentdb: readonly DocumentDbSourceConfig[];
  };
  readonly verify: {
    readonly policy: VerifyPolicy;
    readonly waitSeconds: number;
    readonly maxAttempts: number;
    readonly horizonSeconds: number;
    readonly workflowType: WorkflowType;
  };
  readonly apiProxy: {
    readonly enabled: boolean;
    /** Certyo requests per hour the proxy consumers may make together. */
    readonly hourlyRequestShare: number;
    readonly consumers: readonly ProxyConsumerConfig[];
  };
  readonly webhook: {
    readonly sources: readonly WebhookSourceConfig[];
  };
  /** Shares of the key's hourly budget per path (issue 20); the proxy's is `apiProxy.hourlyRequestShare`. */
  readonly rateBudget: {
    readonly ingestHourlyShare: number;
    readonly verificationHourlyShare: number;
    readonly lendingMinutes: number;
  };
}

/** Thrown by a parser: `expected` completes the sentence "expected ...". */
class InvalidValue extends Error {
  constructor(readonly expected: string) {
    super(expected);
  }
}

/** One error for every invalid key, each line naming the key, the value and what was expected. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Certyo configuration (cdk.json "context" or -c key=value):\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Parser<T> = (raw: unknown) => T;

const text: Parser<string> = (raw) => {
  if (typeof raw !== 'string') throw new InvalidValue('a string');
  return raw;
};

const nonEmpty: Parser<string> = (raw) => {
  const value = text(raw).trim();
  if (value === '') throw new InvalidValue('a non-empty string');
  return value;
};

const optionalText: Parser<string | undefined> = (raw) => {
  const value = text(raw).trim();
  return value === '' ? undefined : value;
};

const httpUrl: Parser<string> = (raw) => {
  const value = nonEmpty(raw);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidValue('an absolute http(s) URL such as https://www.certyos.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidValue('an absolute http(s) URL such as https://www.certyos.com');
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new InvalidValue('the API origin only, without a path (the /api/v1 paths are added for you)');
  }
  return url.origin;
};

const boolean: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new InvalidValue('true or false');
};

function integer(min: number, max: number): Parser<number> {
  return (raw) => {
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidValue(`a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

/** The retention periods CloudWatch Logs accepts (CDK's list; "never expire" is not offered). */
const LOG_RETENTION_DAYS: readonly number[] = Object.values(RetentionDays)
  .filter((v): v is number => typeof v === 'number' && v !== RetentionDays.INFINITE)
  .sort((a, b) => a - b);

const logRetentionDays: Parser<number> = (raw) => {
  const expected = `one of the retention periods CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(', ')}`;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !LOG_RETENTION_DAYS.includes(value)) throw new InvalidValue(expected);
  return value;
};

function oneOf<T extends string>(...choices: readonly T[]): Parser<T> {
  return (raw) => {
    if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
      throw new InvalidValue(`one of ${choices.map((c) => `"${c}"`).join(', ')}`);
    }
    return raw as T;
  };
}

const email: Parser<string | undefined> = (raw) => {
  const value = optionalText(raw);
  if (value !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) throw new InvalidValue('an e-mail address');
  return value;
};

const snsTopicArn: Parser<string | undefined> = (raw) => {
  const value = optionalText(raw);
  if (value !== undefined && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(value)) {
    throw new InvalidValue('an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:paging');
  }
  return value;
};

/** JSON arrays arrive as arrays from cdk.json and as JSON text from `-c`. */
function jsonArray<T>(item: (raw: unknown, index: number) => T, shape: string): Parser<T[]> {
  return (raw) => {
    let value = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new InvalidValue(`a JSON array of ${shape}`);
      }
    }
    if (!Array.isArray(value)) throw new InvalidValue(`a JSON array of ${shape}`);
    return value.map((entry, index) => item(entry, index));
  };
}

function objectField(entry: unknown, index: number, field: string, shape: string): unknown {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new InvalidValue(`a JSON array of ${shape}; item ${index} is not an object`);
  }
  return (entry as Record<string, unknown>)[field];
}

const stringList = jsonArray((entry, index) => {
  if (typeof entry !== 'string' || entry.trim() === '') {
    throw new InvalidValue(`a JSON array of non-empty strings; item ${index} is not one`);
  }
  return entry;
}, 'strings');

const TABLE_SHAPE = '{"tableName", "streamArn", "keyAttributes"?} objects';
const STREAM_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]+\/stream\/\S+$/;
const streamTables = jsonArray((entry, index): StreamTableConfig => {
  const tableName = objectField(entry, index, 'tableName', TABLE_SHAPE);
  const streamArn = objectField(entry, index, 'streamArn', TABLE_SHAPE);
  if (typeof tableName !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new InvalidValue(`a JSON array of ${TABLE_SHAPE}; item ${index} has no valid tableName`);
  }
  if (typeof streamArn !== 'string' || !STREAM_ARN.test(streamArn) || !streamArn.includes(`:table/${tableName}/stream/`)) {
    throw new InvalidValue(
      `a JSON array of ${TABLE_SHAPE}; item ${index} needs the streamArn of table ${tableName} (arn:aws:dynamodb:<region>:<account>:table/${tableName}/stream/<label>)`,
    );
  }
  const keyAttributes = objectField(entry, index, 'keyAttributes', TABLE_SHAPE);
  if (keyAttributes === undefined) return { tableName, streamArn };
  if (!Array.isArray(keyAttributes) || keyAttributes.length < 1 || keyAttributes.length > 2 || !keyAttributes.every((k) => typeof k === 'string' && k !== '' && k.length <= 255)) {
    throw new InvalidValue(`a JSON array of ${TABLE_SHAPE}; item ${index} (table ${tableName}) needs keyAttributes as its partition key name and, if it has one, its sort key name, e.g. ["pk","sk"]`);
  }
  return { tableName, streamArn, keyAttributes: keyAttributes as string[] };
}, TABLE_SHAPE);

const PARTNER_SOURCE = /^aws\.partner\/mongodb\.com\/[A-Za-z0-9._/-]+$/;
const atlasSources = jsonArray((entry, index) => {
  if (typeof entry !== 'string' || !PARTNER_SOURCE.test(entry)) {
    throw new InvalidValue(`a JSON array of MongoDB partner event source names (aws.partner/mongodb.com/stitch.trigger/<trigger id>); item ${index} is not one`);
  }
  return entry;
}, 'partner event source names');

const DOCDB_SHAPE = '{"clusterArn", "secretArn", "database", "collection"?, "vpcId", "subnetIds", "securityGroupIds"} objects';
const DOCDB_CLUSTER_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[A-Za-z0-9-]+$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/;
const documentDbSources = jsonArray((entry, index): DocumentDbSourceConfig => {
  const field = (name: string) => objectField(entry, index, name, DOCDB_SHAPE);
  const fail = (name: string, what: string): never => {
    throw new InvalidValue(`a JSON array of ${DOCDB_SHAPE}; item ${index} needs ${name} as ${what}`);
  };
  const matching = (name: string, pattern: RegExp, what: string): string => {
    const value = field(name);
    return typeof value === 'string' && pattern.test(value) ? value : fail(name, what);
  };
  const ids = (name: string, prefix: string): string[] => {
    const value = field(name);
    const pattern = new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`);
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && pattern.test(v))) fail(name, `a non-empty list of ${prefix}-... ids`);
    return value as string[];
  };
  const collection = field('collection');
  if (collection !== undefined && (typeof collection !== 'string' || collection === '')) fail('collection', 'a non-empty string (or no collection: the whole database)');
  return {
    clusterArn: matching('clusterArn', DOCDB_CLUSTER_ARN, 'a DocumentDB cluster ARN (arn:aws:rds:<region>:<account>:cluster:<name>)'),
    secretArn: matching('secretArn', SECRET_ARN, 'the ARN of the Secrets Manager secret with the cluster credentials'),
    database: matching('database', /^[^/\\. "$]{1,63}$/, 'a database name'),
    collection: collection as string | undefined,
    vpcId: matching('vpcId', /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, 'a vpc-... id'),
    subnetIds: ids('subnetIds', 'subnet'),
    securityGroupIds: ids('securityGroupIds', 'sg'),
  };
}, DOCDB_SHAPE);

const SCOPES: readonly ProxyScope[] = ['ingest', 'verify', 'read', 'admin'];
const CONSUMER_SHAPE = '{"name", "scopes", "tenantIds"?, "rateLimit"?, "burstLimit"?, "monthlyQuota"?} objects';
const consumers = jsonArray((entry, index): ProxyConsumerConfig => {
  const name = objectField(entry, index, 'name', CONSUMER_SHAPE);
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new InvalidValue(`a JSON array of ${CONSUMER_SHAPE}; item ${index} needs a name of letters, digits, _ or -`);
  }
  const scopes = objectField(entry, index, 'scopes', CONSUMER_SHAPE);
  if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => SCOPES.includes(s as ProxyScope))) {
    throw new InvalidValue(`consumer "${name}" to have scopes, a non-empty list of ${SCOPES.join(', ')}`);
  }
  const tenantIds = objectField(entry, index, 'tenantIds', CONSUMER_SHAPE);
  const needsTenants = (scopes as ProxyScope[]).filter((s) => TENANT_SCOPES.includes(s));
  if (tenantIds !== undefined || needsTenants.length > 0) {
    if (!Array.isArray(tenantIds) || tenantIds.length === 0 || !tenantIds.every((t) => typeof t === 'string' && t.trim() !== '')) {
      const scopeNames = needsTenants.length > 1 ? 'scopes name' : 'scope names';
      const why = needsTenants.length > 0 ? ` (its ${needsTenants.join(' and ')} ${scopeNames} tenants, which must be listed)` : '';
      throw new InvalidValue(`consumer "${name}" to have tenantIds, a non-empty JSON array of the tenant ids it may write, verify or read${why}`);
    }
  }
  const number = (field: string, min: number, max: number, whole: boolean): number | undefined => {
    const raw = objectField(entry, index, field, CONSUMER_SHAPE);
    if (raw === undefined) return undefined;
    if (typeof raw !== 'number' || (whole && !Number.isInteger(raw)) || raw < min || raw > max) {
      throw new InvalidValue(`consumer "${name}" to have ${field} as a ${whole ? 'whole ' : ''}number from ${min} to ${max}`);
    }
    return raw;
  };
  // Placeholders until loadConfig derives the throttle from the consumers' share of the budget.
  return {
    name,
    scopes: [...new Set(scopes as ProxyScope[])],
    tenantIds: [...new Set((tenantIds ?? []) as string[])],
    rateLimit: number('rateLimit', 0.0001, 10_000, false) ?? Number.NaN,
    burstLimit: number('burstLimit', 1, 5_000, true) ?? Number.NaN,
    hourlyRequests: Number.NaN,
    monthlyQuota: number('monthlyQuota', 1, 1_000_000_000, true),
  };
}, CONSUMER_SHAPE);

const WEBHOOK_SOURCE_SHAPE = '{"source", "tenantIds", "databases"} objects';
const webhookSources = jsonArray((entry, index): WebhookSourceConfig => {
  const source = objectField(entry, index, 'source', WEBHOOK_SOURCE_SHAPE);
  if (typeof source !== 'string' || !SOURCE_NAME.test(source)) {
    throw new InvalidValue(`a JSON array of ${WEBHOOK_SOURCE_SHAPE}; item ${index} needs a source of lower-case letters, digits or - (at most 64)`);
  }
  const list = (field: 'tenantIds' | 'databases'): string[] => {
    const value = objectField(entry, index, field, WEBHOOK_SOURCE_SHAPE);
    if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
      throw new InvalidValue(`webhook source "${source}" to have ${field}, a non-empty JSON array of non-empty strings`);
    }
    return [...new Set(value as string[])];
  };
  return { source, tenantIds: list('tenantIds'), databases: list('databases') };
}, WEBHOOK_SOURCE_SHAPE);

const verifyPolicy: Parser<VerifyPolicy> = (raw) => {
  const expected = '"all", "none", "batch" or "sample:<fraction between 0 and 1>" such as "sample:0.01"';
  if (raw === 'all' || raw === 'none' || raw === 'batch') return { kind: raw };
  if (typeof raw === 'string' && raw.startsWith('sample:')) {
    const fraction = Number(raw.slice('sample:'.length));
    if (raw.length > 'sample:'.length && Number.isFinite(fraction) && fraction > 0 && fraction <= 1) {
      return { kind: 'sample', fraction };
    }
  }
  throw new InvalidValue(expected);
};

export interface SettingDefinition {
  /** Full context key, `certyo:` included. */
  readonly key: string;
  /** Default as written in documentation; `undefined` means "not set". */
  readonly defaultValue: unknown;
  readonly description: string;
  readonly parse: Parser<unknown>;
}

/** `defaultValue` is written as a user would write it in cdk.json, and parsed like one. */
function setting<T>(key: string, defaultValue: unknown, parse: Parser<T>, description: string): SettingDefinition {
  return { key: CONTEXT_PREFIX + key, defaultValue, parse, description };
}

/**
 * Every supported key, its default and what it means. The configuration table of docs/configuration.md is
 * generated from these (a test checks it), so adding a key here without regenerating it fails the build.
 */
export const SETTINGS: readonly SettingDefinition[] = [
  setting('apiUrl', 'https://www.certyos.com', httpUrl, 'Certyo API origin (no path).'),
  setting('tenantId', undefined, nonEmpty, 'Your Certyo tenant id, used when a record does not carry one. Required to deploy: without it synth works, but the templates refuse deployment.'),
  setting('secretName', 'certyo/api-key', nonEmpty, 'Secrets Manager secret holding `{"apiKey": "..."}`. Imported by name; never created with a value.'),
  setting('busName', 'domain-events', nonEmpty, 'Name of the EventBridge bus the stack creates for producers.'),
  setting('lambdaArchitecture', 'arm64', oneOf<LambdaArchitecture>('arm64', 'x86_64'), 'CPU architecture of every Lambda.'),
  setting('logRetentionDays', 30, logRetentionDays, 'CloudWatch Logs retention of every log group the stack creates, in days: one of the values CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653).'),
  setting('metricsNamespace', 'Certyo', nonEmpty, 'CloudWatch namespace of the custom metrics.'),
  setting('alarmEmail', undefined, email, 'E-mail address subscribed to the operations (alarm) topic. Without it or `certyo:alarmTopicArn`, synth warns that alarms reach nobody.'),
  setting('alarmTopicArn', undefined, snsTopicArn, 'Existing SNS topic every alarm notifies instead of a new operations topic (it must let CloudWatch publish).'),
  setting('forwardingMode', 'direct', oneOf<ForwardingMode>('direct', 'batched'), '`direct`: API Destination, one request per event. `batched`: SQS + forwarder Lambda, up to 1,000 records per request.'),
  setting('detailType', 'Certyo Record', nonEmpty, 'EventBridge `detail-type` of the events to anchor.'),
  setting('eventSources', [], stringList, 'EventBridge `source` values to accept (JSON array); empty accepts any source.'),
  setting('apiDestination.rateLimitPerSecond', 1, integer(1, 300), 'API Destination invocation rate limit (1 is the minimum EventBridge allows).'),
  setting(
    'bulkMaxBodyBytes',
    DEFAULT_MAX_BODY_BYTES,
    integer(MAX_BODY_BYTES_RANGE.min, MAX_BODY_BYTES_RANGE.max),
    'Largest bulk request body, in bytes, of every path that sends bulk requests (S3, DynamoDB, DocumentDB, batched forwarder). The API reference limits a bulk request to 1,000 items and names no body size; 32 MiB lets 1,000 records of up to ~32 KiB fill a request and bounds what s3-ingest holds (two requests). A 413 splits a request in halves, so set this to the limit of a gateway in front of Certyo if there is one.',
  ),
  setting('batched.batchSize', 4000, integer(1, 10000), 'Batched mode: SQS messages per forwarder invocation. Lambda cuts a batch at its 6 MB invocation payload: about 5,000 events of 1.25 KB as SQS event records (`npm run bench`, `forwarder.eventsPer6Mb`); 4,000 (four full bulk requests) leaves room for events up to ~1.5 KB. A batch cut short carries its trailing partial request into the next invocation.'),
  // 20 s, not 60: a record waits this long before it reaches Certyo, at 1,000 records/hour as at 100,000 (`latency` in
  // bench/results.json); 20 s still sends about 290 records a request at 100,000/hour through the 2 pollers, half the ingest share.
  setting('batched.batchWindowSeconds', 30, integer(0, 300), 'Batched mode: how long SQS gathers messages before invoking the forwarder. Each second adds to the latency of a record at light traffic; see the latency trade-off in docs/benchmarks-and-costs.md.'),
  setting('s3.enabled', true, boolean, 'Create the S3 ingest path.'),
  setting('s3.bucketName', undefined, optionalText, 'Existing bucket to ingest from; unset creates an encrypted, versioned bucket.'),
  setting('s3.prefix', undefined, optionalText, 'Only objects whose key starts with this prefix are ingested.'),
  setting('s3.suffix', undefined, optionalText, 'Only objects whose key ends with this suffix are ingested.'),
  setting('s3.recordIdField', 'id', nonEmpty, 'Dot path of the record id inside each record of a file.'),
  setting('dynamodb.enabled', true, boolean, 'Create the DynamoDB stream ingest path.'),
  setting('dynamodb.tables', [], streamTables, 'Existing tables to capture (JSON array of `{"tableName","streamArn","keyAttributes"?}`); empty creates a demo table. `keyAttributes` (partition key name, then sort key name if any) is required with `certyo:dynamodb.writeBack`.'),
  setting('dynamodb.database', 'dynamodb', nonEmpty, 'Certyo `database` of records from DynamoDB.'),
  setting('dynamodb.ttlDeletes', 'ingest', oneOf<TtlDeletePolicy>('ingest', 'skip'), 'What to do with deletions made by DynamoDB TTL.'),
  setting('dynamodb.writeBack', false, boolean, 'Write `certyo_*` status attributes back to the item. Its IAM policy allows UpdateItem on those attributes and the key only, so each table in `certyo:dynamodb.tables` must name its `keyAttributes`.'),
  setting('dynamodb.batchSize', 1000, integer(1, 10000), 'Stream records per ingest invocation.'),
  // 10 s, not 30: one poller per shard, so 10 s already fills about 280 records a request at 100,000/hour (`latency`).
  setting('dynamodb.batchWindowSeconds', 20, integer(0, 300), 'How long the stream gathers records before invoking. Each second adds to the latency of a record at light traffic; see the latency trade-off in docs/benchmarks-and-costs.md.'),
  setting('mongodb.atlasEventSources', [], atlasSources, 'MongoDB Atlas Trigger partner event sources (JSON array of `aws.partner/mongodb.com/...` names): each gets its partner event bus and a rule into the batched forwarder. Needs `forwardingMode` `batched`.'),
  setting('mongodb.documentdb', [], documentDbSources, 'Amazon DocumentDB change streams to ingest (JSON array of `{"clusterArn","secretArn","database","collection"?,"vpcId","subnetIds","securityGroupIds"}`): each gets an event source mapping onto the `mongo-ingest` Lambda.'),
  // `batch` by default, not the seed's per-record verification: verify calls spend the ingest
  // key's 1,000 requests/hour, and `all` would cap the whole pipeline near 660 records/hour.
  setting('verify.policy', 'batch', verifyPolicy, 'Which accepted records get a verification workflow: `batch` (one per bulk request, notifying every record in it), `all`, `sample:<fraction>` or `none`; in both forwarding modes.'),
  // 120 s, not 90: with 10 s poll steps the calls land at 120, 130 and 150 s, 150 s being the latest a snapshot
  // anchors (flush 60 s + anchor 90 s); a lower p99 than 90 s with 30 s (or 20 s) steps, and fewer verify calls (`latency`).
  setting('verify.waitSeconds', 120, integer(1, 86400), 'Wait before the first verification: Certyo flushes a snapshot within 60 s and anchors it in ~60-90 s, so 120 s then polls 10, 20, 30 … s later catch the latest anchor at 150 s.'),
  setting('verify.maxAttempts', 10, integer(1, 100), 'Verify answers of "not anchored yet" before an `unverified` notification with reason `not_anchored` (429s, 5xx and 404s are not counted).'),
  // Longer than one rate-limit window (an hour), so a spent key delays verification but does not end it.
  setting('verify.horizonSeconds', 7200, integer(60, 86400), 'Longest an execution waits in all (anchoring wait, polls, rate-limit and outage pauses) before an `unverified` notification; a retried snapshot gets one more horizon.'),
  setting('verify.workflowType', 'STANDARD', oneOf<WorkflowType>('STANDARD', 'EXPRESS'), 'Step Functions workflow type (EXPRESS only with `certyo:verify.horizonSeconds` ≤ 150: twice the horizon must fit in 5 minutes).'),
  setting('apiProxy.enabled', true, boolean, 'Create `CertyoApiProxyStack`.'),
  setting('apiProxy.consumers', [], consumers, 'API consumers (JSON array of `{"name","scopes","tenantIds"?,"rateLimit"?,"burstLimit"?,"monthlyQuota"?}`). `tenantIds` (required with the `ingest`, `verify` or `read` scope): the tenants whose records the consumer may write, verify or read; a body or a `tenantId` query parameter naming another tenant is refused with 403 before it reaches Certyo. Unset `rateLimit`/`burstLimit` are derived from an equal part of `certyo:apiProxy.hourlyRequestShare`.'),
  setting('apiProxy.hourlyRequestShare', 200, integer(1, CERTYO_REQUESTS_PER_HOUR - 1), `Certyo requests per hour (of the key's ${CERTYO_REQUESTS_PER_HOUR.toLocaleString('en-US')}) all proxy consumers together may make; the pipeline keeps the rest. Each consumer's usage plan (burst + rate × 3600) stays within its part.`),
  setting('rateBudget.ingestHourlyShare', 700, integer(1, CERTYO_REQUESTS_PER_HOUR), `Certyo requests per hour the ingest Lambdas (forwarder, S3, DynamoDB, DocumentDB) may spend before the lending point; with the verification and proxy shares at most ${CERTYO_REQUESTS_PER_HOUR.toLocaleString('en-US')}.`),
  setting('rateBudget.verificationHourlyShare', 100, integer(0, CERTYO_REQUESTS_PER_HOUR), 'Certyo requests per hour the verification workflows are counted against (docs/rate-budget.md: not enforced on the workflows themselves).'),
  setting('rateBudget.lendingMinutes', 12, integer(0, 60), 'The last minutes of each hourly window in which any path may spend what the others left (0: never lend).'),
  setting('webhook.sources', [], webhookSources, 'Webhook sources (JSON array of `{"source","tenantIds","databases"}`): the tenants and Certyo databases each may write. A source not listed is refused like a bad signature.'),
];

function describe(raw: unknown): string {
  const json = JSON.stringify(raw);
  return json === undefined ? String(raw) : json;
}

/** Reads and validates every `certyo:` key; throws one ConfigError listing all problems. */
export function loadConfig(context: Readonly<Record<string, unknown>>): CertyoConfig {
  const problems: string[] = [];
  const known = new Set(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(context)) {
    if (key.startsWith(CONTEXT_PREFIX) && !known.has(key)) {
      problems.push(`${key}: unknown key (known keys: ${[...known].join(', ')})`);
    }
  }
  const values = new Map<string, unknown>();
  for (const s of SETTINGS) {
    const raw = context[s.key];
    if (raw === undefined || raw === null) {
      if (s.defaultValue === undefined && s.parse === nonEmpty) {
        problems.push(`${s.key} is not set: expected a non-empty string`);
      } else {
        values.set(s.key, s.defaultValue === undefined ? undefined : s.parse(s.defaultValue));
      }
      continue;
    }
    try {
      values.set(s.key, s.parse(raw));
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      problems.push(`${s.key} = ${describe(raw)}: expected ${error.expected}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const get = <T>(key: string): T => values.get(CONTEXT_PREFIX + key) as T;
  const config: CertyoConfig = {
    apiUrl: get('apiUrl'),
    tenantId: get('tenantId'),
    secretName: get('secretName'),
    busName: get('busName'),
    lambdaArchitecture: get('lambdaArchitecture'),
    bulkMaxBodyBytes: get('bulkMaxBodyBytes'),
    logRetentionDays: get('logRetentionDays'),
    metricsNamespace: get('metricsNamespace'),
    alarmEmail: get('alarmEmail'),
    alarmTopicArn: get('alarmTopicArn'),
    forwarding: {
      mode: get('forwardingMode'),
      detailType: get('detailType'),
      sources: get('eventSources'),
      apiDestinationRateLimitPerSecond: get('apiDestination.rateLimitPerSecond'),
      batchSize: get('batched.batchSize'),
      batchWindowSeconds: get('batched.batchWindowSeconds'),
    },
    s3: {
      enabled: get('s3.enabled'),
      bucketName: get('s3.bucketName'),
      prefix: get('s3.prefix'),
      suffix: get('s3.suffix'),
      recordIdField: get('s3.recordIdField'),
    },
    dynamodb: {
      enabled: get('dynamodb.enabled'),
      tables: get('dynamodb.tables'),
      database: get('dynamodb.database'),
      ttlDeletes: get('dynamodb.ttlDeletes'),
      writeBack: get('dynamodb.writeBack'),
      batchSize: get('dynamodb.batchSize'),
      batchWindowSeconds: get('dynamodb.batchWindowSeconds'),
    },
    mongodb: {
      atlasEventSources: get('mongodb.atlasEventSources'),
      documentdb: get('mongodb.documentdb'),
    },
    verify: {
      policy: get('verify.policy'),
      waitSeconds: get('verify.waitSeconds'),
      maxAttempts: get('verify.maxAttempts'),
      horizonSeconds: get('verify.horizonSeconds'),
      workflowType: get('verify.workflowType'),
    },
    apiProxy: {
      enabled: get('apiProxy.enabled'),
      hourlyRequestShare: get('apiProxy.hourlyRequestShare'),
      consumers: partitionBudget(get('apiProxy.consumers'), get('apiProxy.hourlyRequestShare')),
    },
    webhook: {
      sources: get('webhook.sources'),
    },
    rateBudget: {
      ingestHourlyShare: get('rateBudget.ingestHourlyShare'),
      verificationHourlyShare: get('rateBudget.verificationHourlyShare'),
      lendingMinutes: get('rateBudget.lendingMinutes'),
    },
  };
  checkCombinations(config);
  return config;
}

/**
 * Gives each consumer without its own throttle an equal part of what the share leaves, and
 * refuses consumers whose throttles together could exceed the share in an hour.
 */
function partitionBudget(consumers: readonly ProxyConsumerConfig[], share: number): ProxyConsumerConfig[] {
  const hourlyOf = (c: { rateLimit: number; burstLimit: number }) => c.burstLimit + c.rateLimit * 3600;
  const explicit = consumers.filter((c) => !Number.isNaN(c.rateLimit) && !Number.isNaN(c.burstLimit));
  const derived = consumers.length - explicit.length;
  const left = share - explicit.reduce((total, c) => total + hourlyOf(c), 0);
  const part = derived === 0 ? 0 : left / derived;
  const partitioned = consumers.map((c): ProxyConsumerConfig => {
    let throttle = { rateLimit: c.rateLimit, burstLimit: c.burstLimit };
    if (Number.isNaN(c.rateLimit) || Number.isNaN(c.burstLimit)) {
      const fallback = throttleForHourlyShare(Math.max(part, 0));
      throttle = { rateLimit: Number.isNaN(c.rateLimit) ? fallback.rateLimit : c.rateLimit, burstLimit: Number.isNaN(c.burstLimit) ? fallback.burstLimit : c.burstLimit };
    }
    return { ...c, ...throttle, hourlyRequests: hourlyOf(throttle) };
  });
  const total = partitioned.reduce((sum, c) => sum + c.hourlyRequests, 0);
  const bad = partitioned.filter((c) => !(c.rateLimit > 0));
  if (total > share + 1e-6 || bad.length > 0) {
    const each = partitioned.map((c) => `${c.name} ${Math.round(c.hourlyRequests * 100) / 100}`).join(', ');
    throw new ConfigError([
      `${CONTEXT_PREFIX}apiProxy.consumers: the consumers' throttles allow ${Math.round(total * 100) / 100} requests/hour (burst + rate × 3600: ${each}), more than ${CONTEXT_PREFIX}apiProxy.hourlyRequestShare (${share}) leaves them; lower rateLimit/burstLimit or raise the share`,
    ]);
  }
  return partitioned;
}

function checkCombinations(config: CertyoConfig): void {
  // The write-back's IAM policy names the key attributes (dynamodb:Attributes); they are not in the stream ARN.
  const keyless = config.dynamodb.writeBack ? config.dynamodb.tables.filter((t) => t.keyAttributes === undefined).map((t) => t.tableName) : [];
  if (keyless.length > 0) {
    throw new ConfigError([
      `${CONTEXT_PREFIX}dynamodb.tables: ${keyless.join(', ')} need keyAttributes (["<partition key>", "<sort key>"?]) because ${CONTEXT_PREFIX}dynamodb.writeBack is true: the write-back may update only the certyo_* attributes and the key, and IAM needs the key's names`,
    ]);
  }
  // Atlas change events are packed into bulk requests by the batched forwarder; direct mode has none.
  if (config.mongodb.atlasEventSources.length > 0 && config.forwarding.mode !== 'batched') {
    throw new ConfigError([
      `${CONTEXT_PREFIX}mongodb.atlasEventSources is set, so ${CONTEXT_PREFIX}forwardingMode must be "batched" (Atlas change events go through the batched forwarder), got "${config.forwarding.mode}"`,
    ]);
  }
  const vpcs = new Set(config.mongodb.documentdb.map((d) => d.vpcId));
  if (vpcs.size > 1) {
    throw new ConfigError([`${CONTEXT_PREFIX}mongodb.documentdb: every cluster must be in one VPC (the mongo-ingest function runs in it), got ${[...vpcs].join(', ')}`]);
  }
  const { ingestHourlyShare, verificationHourlyShare } = config.rateBudget;
  const shares = ingestHourlyShare + verificationHourlyShare + config.apiProxy.hourlyRequestShare;
  if (shares > CERTYO_REQUESTS_PER_HOUR) {
    throw new ConfigError([
      `${CONTEXT_PREFIX}rateBudget.ingestHourlyShare (${ingestHourlyShare}) + ${CONTEXT_PREFIX}rateBudget.verificationHourlyShare (${verificationHourlyShare}) + ${CONTEXT_PREFIX}apiProxy.hourlyRequestShare (${config.apiProxy.hourlyRequestShare}) = ${shares}: the shares must add up to at most the key's ${CERTYO_REQUESTS_PER_HOUR} requests per hour, or no path is sure of its share`,
    ]);
  }
  // SQS caps a batching window at 300 s and a batch above 10 messages needs a window of at least 1 s.
  if (config.forwarding.batchSize > 10 && config.forwarding.batchWindowSeconds < 1) {
    throw new ConfigError([
      `${CONTEXT_PREFIX}batched.batchWindowSeconds = ${config.forwarding.batchWindowSeconds}: expected at least 1 when ${CONTEXT_PREFIX}batched.batchSize (${config.forwarding.batchSize}) is above 10 (an SQS event source rule)`,
    ]);
  }
}

/** The shares and lending point every governed Lambda applies (fractions of whatever limit Certyo reports per window). */
export function budgetPolicy(config: CertyoConfig): Omit<BudgetPolicy, 'path'> {
  const { ingestHourlyShare, verificationHourlyShare, lendingMinutes } = config.rateBudget;
  return {
    shares: {
      ingest: ingestHourlyShare / CERTYO_REQUESTS_PER_HOUR,
      verification: verificationHourlyShare / CERTYO_REQUESTS_PER_HOUR,
      apiProxy: config.apiProxy.hourlyRequestShare / CERTYO_REQUESTS_PER_HOUR,
    },
    lendingFraction: lendingMinutes / 60,
  };
}
