/**
 * The custom-metric contract between the Lambdas, which emit these metrics
 * (`observability.ts`), and the monitoring construct, which graphs and alarms on them
 * (`lib/constructs/monitoring.ts`). It has no runtime dependencies so the CDK app can import
 * it too: with one definition, a renamed metric or dimension cannot leave a dashboard graphing
 * nothing and an alarm that never fires.
 */

/** Every path that talks to Certyo, as the value of the `Path` dimension. */
export const INGEST_PATHS = ['s3', 'dynamodb', 'mongodb', 'forwarder', 'proxy', 'webhook', 'verify'] as const;

/** The ingest path a metric belongs to (metric dimension `Path`). */
export type IngestPath = (typeof INGEST_PATHS)[number];

/** The one dimension of every custom metric. */
export const PATH_DIMENSION = 'Path';

/** Namespace when neither `POWERTOOLS_METRICS_NAMESPACE` nor `certyo:metricsNamespace` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'Certyo';

export const METRIC_NAMES = {
  recordsAccepted: 'RecordsAccepted',
  recordsReplayed: 'RecordsReplayed',
  recordsRejected: 'RecordsRejected',
  certyoRequests: 'CertyoRequests',
  rateLimited: 'RateLimited',
  bulkSize: 'BulkSize',
  rateLimitRemaining: 'RateLimitRemaining',
} as const;

/**
 * Emitted by every path whose client uses the shared rate budget, but only when it happens, so
 * kept apart from `METRIC_NAMES` (which `publishIngestMetrics` emits on every call).
 */
export const BUDGET_METRIC_NAMES = {
  /** Requests sent without the shared rate budget because its table could not be used. */
  rateBudgetUnavailable: 'RateBudgetUnavailable',
  /** Requests the shared budget held back (window spent, share spent before the lending point, or a known Retry-After). */
  rateBudgetWaits: 'RateBudgetWaits',
} as const;

/**
 * Metrics only the DynamoDB stream path emits, kept apart from `METRIC_NAMES` because every
 * path emits all of those (`publishIngestMetrics`).
 */
export const DYNAMODB_METRIC_NAMES = {
  recordsSkipped: 'RecordsSkipped',
  writeBackFailures: 'WriteBackFailures',
} as const;

/**
 * The verification workflow's outcome metric (its `RecordOutcome` state, in
 * `statemachines/verify-record.asl.json`): one data point per execution, dimensions `Path`
 * (`verify`) and `Outcome`, the notification's status.
 */
export const VERIFICATION_OUTCOME_METRIC = {
  name: 'Verifications',
  dimension: 'Outcome',
  outcomes: ['anchored', 'failed', 'unverified'],
} as const;

export type VerificationOutcome = (typeof VERIFICATION_OUTCOME_METRIC.outcomes)[number];
