/**
 * The baseline: a line-by-line TypeScript port of the seed's Python S3 Lambda
 * (`../shared/seeds/000_*`, `certyo_s3_ingest.py`). It exists only so `npm run bench` can
 * measure our s3-ingest against what the reference architecture ships. Its defects are kept on
 * purpose — fixing them would flatter the baseline — and listed here so nobody copies it:
 *
 * 1. One `POST /api/v1/records` per record, sequentially: at Certyo's 1,000 requests/hour a
 *    10,000-record file takes ten hours of the whole key's budget (ours: 10 bulk requests).
 * 2. The whole object is read into memory and parsed with one `json.loads` (here `JSON.parse`),
 *    so memory grows with the file, and JSON Lines / NDJSON cannot be read at all ("Extra data").
 * 3. `idempotencyKey = {id}-{eventTime[:10]}`: two uploads of one record on the same day collapse
 *    into one (the second is "replayed", never anchored).
 * 4. A record without `id` gets the file name as its id, so every id-less record of a file
 *    shares one id and one idempotency key: only the first is anchored, the rest are replays.
 * 5. The first non-202 (a 429, a 500, one invalid record) raises: the invocation fails, the
 *    records after it are not sent, and S3's asynchronous retry starts the file from the top.
 *    No `Retry-After`, no backoff, no dead-letter queue for the bad record.
 * 6. No HTTP timeout (urllib3's `PoolManager()` default): a hung connection holds the
 *    invocation until the Lambda times out.
 * 7. A non-object item (`[1, 2]`) crashes on `item.get`; a non-JSON error body crashes on
 *    `json.loads` before the status is even checked.
 * 8. The API key is cached for the container's life: after a rotation every call is a 401.
 * 9. Every result is kept in memory and returned, and one log line is printed per record.
 *
 * Port notes (where TypeScript cannot be the Python byte for byte, and why it does not matter
 * for the benchmark): `JSON.parse` rounds integers beyond 2^53 where Python keeps them, and
 * `str(1.0)` is `"1.0"` in Python but the parsed number prints as `"1"` here; both only change
 * field values, not the number or size of requests. Python's `json.dumps` puts a space after
 * `,` and `:`; the port sends compact JSON (a few bytes fewer per request).
 */
import type { S3Event } from 'aws-lambda';

export interface SeedHttpResponse {
  readonly status: number;
  readonly text: string;
}

export interface SeedS3IngestDeps {
  /** `CERTYO_API_URL`, default `https://www.certyos.com`. */
  readonly apiUrl: string;
  /** `CERTYO_TENANT_ID`. */
  readonly tenantId: string;
  /** `secrets_client.get_secret_value(SecretId=SECRET_ARN)["SecretString"]`. */
  readonly getSecretString: () => Promise<string>;
  /** `s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()`: the whole object. */
  readonly getObjectBytes: (bucket: string, key: string) => Promise<Uint8Array>;
  /** `http.request("POST", url, body=..., headers=...)` with urllib3's defaults (keep-alive, no timeout). */
  readonly post?: (url: string, body: string, headers: Readonly<Record<string, string>>) => Promise<SeedHttpResponse>;
  /** `print(...)`: CloudWatch Logs in Lambda. */
  readonly print?: (line: string) => void;
}

export interface SeedHandlerResult {
  readonly statusCode: number;
  readonly body: string;
}

/** Python's `str()` of a JSON value, for the fields the seed formats. */
function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** Python's `type(x).__name__` for a parsed JSON value, for the AttributeError message. */
function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}

/** `dict.get(name, fallback)`: a present `null` is returned as is, like Python's `None`. */
function pyGet(item: unknown, name: string, fallback: unknown): unknown {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new TypeError(`AttributeError: '${pyTypeName(item)}' object has no attribute 'get'`);
  }
  return Object.prototype.hasOwnProperty.call(item, name) ? (item as Record<string, unknown>)[name] : fallback;
}

/** `urllib.parse.unquote_plus`. */
function unquotePlus(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

/** Node's fetch keeps connections alive like urllib3's PoolManager; like the seed, no timeout. */
async function fetchPost(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<SeedHttpResponse> {
  const response = await fetch(url, { method: 'POST', body, headers });
  return { status: response.status, text: await response.text() };
}

export function createSeedS3Handler(deps: SeedS3IngestDeps): (event: S3Event) => Promise<SeedHandlerResult> {
  const post = deps.post ?? fetchPost;
  const print = deps.print ?? ((line: string) => console.log(line));
  let apiKeyCache: string | undefined;

  const getApiKey = async (): Promise<string> => {
    if (apiKeyCache === undefined) {
      apiKeyCache = (JSON.parse(await deps.getSecretString()) as { apiKey: string }).apiKey;
    }
    return apiKeyCache;
  };

  return async function handler(event: S3Event): Promise<SeedHandlerResult> {
    const apiKey = await getApiKey();
    const results: unknown[] = [];

    for (const record of event.Records) {
      const bucket = record.s3.bucket.name;
      const key = unquotePlus(record.s3.object.key);

      print(`Processing s3://${bucket}/${key}`);

      const bytes = await deps.getObjectBytes(bucket, key);
      const body: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));

      const items: unknown[] = Array.isArray(body) ? body : [body];

      for (const item of items) {
        const recordId = pyGet(item, 'id', (key.split('/').pop() as string).split('.json').join(''));

        const payload = {
          tenantId: deps.tenantId,
          database: `s3-${bucket}`,
          collection: key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : 'root',
          recordId,
          recordVersion: pyStr(pyGet(item, 'version', '1')),
          operationType: 'upsert',
          recordPayload: item,
          sourceTimestamp: record.eventTime,
          idempotencyKey: `${pyStr(recordId)}-${record.eventTime.slice(0, 10)}`,
        };

        const response = await post(`${deps.apiUrl}/api/v1/records`, JSON.stringify(payload), {
          'X-API-Key': apiKey,
          'Content-Type': 'application/json',
        });

        const result = JSON.parse(response.text) as { recordHash?: unknown };

        if (response.status !== 202) {
          print(`ERROR: Certyo returned ${response.status} for ${pyStr(recordId)}: ${response.text}`);
          throw new Error(`Ingestion failed for ${pyStr(recordId)}: ${response.status}`);
        }

        print(`Record ${pyStr(recordId)} accepted. Hash: ${pyStr(result.recordHash)}`);
        results.push(result);
      }
    }

    return {
      statusCode: 200,
      body: JSON.stringify({ message: `Ingested ${results.length} records`, records: results }),
    };
  };
}
