import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  CfnAlarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  HorizontalAnnotation,
  IAlarm,
  IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { IEventBus } from 'aws-cdk-lib/aws-events';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ITopic } from 'aws-cdk-lib/aws-sns';
import { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BUDGET_METRIC_NAMES, DEFAULT_METRICS_NAMESPACE, INGEST_PATHS, IngestPath, METRIC_NAMES, PATH_DIMENSION, VERIFICATION_OUTCOME_METRIC, VerificationOutcome } from '../../lambdas/shared/metric-names';
import { DashboardSection } from './dashboard-section';
import { DeadLetterQueue } from './dead-letter-queue';
import { notifyingAlarm, NotifyingAlarmOptions, OperationsTopic } from './operations-topic';
import { PropProblems } from './prop-problems';

export interface CertyoMonitoringProps {
  /** Every alarm notifies this topic. */
  readonly operations: OperationsTopic;
  /**
   * Namespace of the custom metrics: the Lambdas' `POWERTOOLS_METRICS_NAMESPACE`, which
   * `CertyoFunction` sets from `certyo:metricsNamespace`.
   * @default 'Certyo'
   */
  readonly metricsNamespace?: string;
  /**
   * Requests per hour the Certyo API key allows, shared by everything that uses the key.
   * @default 1000
   */
  readonly hourlyRequestBudget?: number;
  /**
   * Share of the hourly budget at which the budget alarms fire: requests counted by the
   * pipeline reach it, or Certyo reports less than the rest remaining.
   * @default 0.8
   */
  readonly budgetAlarmFraction?: number;
  /**
   * A stream consumer whose oldest unprocessed record is older than this alarms. DynamoDB
   * streams keep records 24 hours; this leaves 20 hours to act before any is lost. Not lower:
   * the consumer waits out Certyo's hourly rate-limit window by design, so an hour behind is
   * normal at full budget and a tighter alarm would page on healthy operation.
   * @default Duration.hours(4)
   */
  readonly iteratorAgeThreshold?: Duration;
  /**
   * @default - `<stack name>-<region>`: dashboard names are global to the account
   */
  readonly dashboardName?: string;
}

export interface FunctionMonitoringOptions {
  /**
   * An alarm the function's construct already raises on its errors.
   * @default - a new alarm on one error in five minutes
   */
  readonly errorsAlarm?: IAlarm;
}

export interface EventBusMonitoringOptions {
  /** Short name used in graph legends and alarm names, e.g. `domain-events`. */
  readonly label: string;
  /**
   * The bus's rules deliver to the Certyo API Destination (direct forwarding): their
   * invocation attempts are Certyo requests and count in the budget alarm.
   * @default false
   */
  readonly deliversToCertyo?: boolean;
}

export interface WorkflowMonitoringOptions {
  /**
   * The topic the workflow publishes anchored / failed / unverified notifications to: messages
   * published and deliveries that failed are graphed.
   * @default - notifications are not graphed
   */
  readonly notifications?: ITopic;
  /**
   * The workflow emits `VERIFICATION_OUTCOME_METRIC` (the verification workflow does): graph
   * outcomes, alarm on any `failed` (integrity: Certyo gave a definite negative answer) and on
   * `unverifiedThreshold` or more `unverified` in an hour (operations: rate limit, outage).
   * @default false
   */
  readonly outcomes?: boolean;
  /**
   * `unverified` outcomes per hour that raise the operational alarm; only with `outcomes`.
   * @default 10
   */
  readonly unverifiedThreshold?: number;
}

/** A REST API stage, by name, so an API in another stack adds no cross-stack reference. */
export interface ApiGatewayStageOptions {
  readonly apiName: string;
  readonly stageName: string;
  /** Short name used in graph legends and alarm names, e.g. `proxy`. */
  readonly label: string;
  /**
   * The stage's JSON access log group (with a `consumer` field), and the Certyo requests per hour
   * the consumers may make together: the dashboard shows each consumer's hourly requests against it.
   * @default - no consumer usage widget
   */
  readonly consumerUsage?: { readonly accessLogGroupName: string; readonly hourlyRequestShare: number };
}

/** Statistics per minute for flows, per five minutes for alarms, per hour for the budget. */
const MINUTE = Duration.minutes(1);
const ALARM_PERIOD = Duration.minutes(5);
const HOUR = Duration.hours(1);
/** CloudWatch allows at most 10 metrics in the math expression of an alarm. */
const MAX_ALARM_METRICS = 10;
/** API Gateway 5XX share (of requests in five minutes) at which the proxy alarms. */
const API_5XX_RATE = 0.05;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

interface Labelled<T> {
  readonly label: string;
  readonly item: T;
}

interface BusRegistration {
  readonly label: string;
  readonly busName: string;
  readonly deliversToCertyo: boolean;
}

interface WorkflowRegistration {
  readonly label: string;
  readonly stateMachine: IStateMachine;
  readonly notifications?: ITopic;
  readonly outcomes: boolean;
}

/**
 * The operations view of the pipeline: one CloudWatch dashboard and the alarms that need a
 * person, all notifying the one operations topic.
 *
 * From the start it graphs and alarms on the custom metrics every Lambda emits (`Path`
 * dimension, `lambdas/shared/metric-names.ts`): Certyo requests per hour against the key's
 * budget, and Certyo's own count of requests remaining. Other constructs register what they
 * create, when they create it — functions, dead-letter queues, stream consumers, workflows,
 * event buses, API stages — and the dashboard, built at synthesis, shows each of them.
 * Dead-letter queues already alarm (`DeadLetterQueue`); they are graphed and listed here,
 * not alarmed twice.
 */
export class CertyoMonitoring extends Construct {
  public readonly dashboard: Dashboard;
  /**
   * Requests counted by the pipeline in the last hour (every path's `CertyoRequests`, plus
   * the invocation attempts of each bus that delivers to Certyo) reached the alarm fraction.
   */
  public readonly budgetAlarm: IAlarm;
  /** Certyo's `X-RateLimit-Remaining`, seen by any Lambda, fell to the rest of the budget. */
  public readonly rateLimitRemainingAlarm: Alarm;
  /** Ingest Lambdas spent the key without the shared rate budget record (docs/rate-budget.md). */
  public readonly rateBudgetUnavailableAlarm: Alarm;
  public readonly metricsNamespace: string;
  public readonly hourlyRequestBudget: number;
  public readonly budgetAlarmFraction: number;

  private readonly operations: OperationsTopic;
  private readonly iteratorAgeThreshold: Duration;
  private readonly labels = new Set<string>();
  private readonly alarms: IAlarm[] = [];
  private readonly ingestPaths: IngestPath[] = [];
  private readonly functions: Labelled<IFunction>[] = [];
  private readonly deadLetterQueues: Labelled<DeadLetterQueue>[] = [];
  private readonly streams: Labelled<IFunction>[] = [];
  private readonly workflows: WorkflowRegistration[] = [];
  private readonly buses: BusRegistration[] = [];
  private readonly apiStages: ApiGatewayStageOptions[] = [];

  constructor(scope: Construct, id: string, props: CertyoMonitoringProps) {
    super(scope, id);
    this.operations = props.operations;
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    this.hourlyRequestBudget = props.hourlyRequestBudget ?? 1000;
    this.budgetAlarmFraction = props.budgetAlarmFraction ?? 0.8;
    this.iteratorAgeThreshold = props.iteratorAgeThreshold ?? Duration.hours(4);
    validate(id, this.metricsNamespace, this.hourlyRequestBudget, this.budgetAlarmFraction, this.iteratorAgeThreshold);

    const stack = Stack.of(this);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${stack.stackName}-${stack.region}`,
      defaultInterval: Duration.hours(3),
    });
    this.budgetAlarm = this.createBudgetAlarm();
    this.rateLimitRemainingAlarm = this.alarm('RateLimitRemainingLow', {
      metric: this.acrossPaths('MIN', 'r', METRIC_NAMES.rateLimitRemaining, 'Minimum', 'Requests remaining (Certyo)'),
      threshold: this.remainingThreshold(),
      comparisonOperator: ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `Certyo reports ${this.remainingThreshold()} or fewer requests left this hour for the API key, counting every user of the key (verification workflow and API proxy included). ` +
        'New requests will be rate limited: records wait and are retried, none are dropped. Find the biggest consumer on the dashboard; lower certyo:verify.policy to sample:<fraction> or move producers to batched mode.',
    });

    this.rateBudgetUnavailableAlarm = this.alarm('RateBudgetUnavailable', {
      metric: this.acrossPaths('SUM', 'u', BUDGET_METRIC_NAMES.rateBudgetUnavailable, 'Sum', 'Requests sent without the shared rate budget'),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        'Ingest Lambdas could not use the shared rate budget table (missing, throttled or access denied) and sent on their own view of the rate limit: concurrent instances may again meet 429s another instance already met. No record is lost or held back. ' +
        'Check the RateBudget table and the functions\' logs ("Shared rate budget unavailable"; docs/rate-budget.md).',
    });

    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# Certyo pipeline\nCertyo allows **${this.hourlyRequestBudget} requests per hour** per API key, shared by every path; a bulk request carries up to 1,000 records. ` +
          'What each alarm means and what to do: docs/operations.md, "Monitoring and alarms".',
        width: 24,
        height: 2,
      }),
    );
    const sections = [
      new DashboardSection('Alarms', () => [new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: Math.max(2, Math.ceil(this.alarms.length / 4) + 1) })]),
      new DashboardSection('Records by path', () => this.recordWidgets()),
      new DashboardSection('Certyo request budget', () => this.budgetWidgets()),
      new DashboardSection('Dead-letter queues', () => this.deadLetterWidgets()),
      new DashboardSection('Lambda functions', () => this.functionWidgets()),
      new DashboardSection('Stream consumers', () => this.streamWidgets()),
      new DashboardSection('Verification workflow', () => this.workflowWidgets()),
      new DashboardSection('EventBridge', () => this.busWidgets()),
      new DashboardSection('API proxy', () => this.apiWidgets()),
    ];
    // One call per section: a call with several widgets lays them out in a Row at once.
    for (const section of sections) this.dashboard.addWidgets(section);
  }

  /**
   * A Lambda that calls Certyo for an ingest path: its errors and duration are graphed and
   * alarmed (as `addFunction`), and its path's records, rejections and bulk size are graphed.
   */
  addIngestFunction(fn: IFunction, path: IngestPath, options: FunctionMonitoringOptions = {}): IAlarm {
    this.addIngestPath(path);
    return this.addFunction(fn, path, options);
  }

  /**
   * Graphs an ingest path's custom metrics without a function, e.g. for a path whose Lambda
   * lives in another stack. Every path already counts towards the budget alarms.
   */
  addIngestPath(path: IngestPath): void {
    if (!INGEST_PATHS.includes(path)) throw new Error(`CertyoMonitoring.addIngestPath: path must be one of ${INGEST_PATHS.join(', ')}, got "${path}"`);
    if (!this.ingestPaths.includes(path)) this.ingestPaths.push(path);
  }

  /**
   * Any Lambda of the pipeline: errors, throttles and duration are graphed, and one error in
   * five minutes alarms — unless `options.errorsAlarm` says the function's owner already
   * alarms on its errors, which is then listed instead of duplicated.
   */
  addFunction(fn: IFunction, label: string, options: FunctionMonitoringOptions = {}): IAlarm {
    this.claim('addFunction', label);
    this.functions.push({ label, item: fn });
    if (options.errorsAlarm) {
      this.alarms.push(options.errorsAlarm);
      return options.errorsAlarm;
    }
    return this.alarm(`${label}-errors`, {
      metric: fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum', label: `${label} errors` }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `The ${label} Lambda failed at least once in five minutes (an error it did not turn into a partial batch failure). ` +
        'Its messages are retried and dead-lettered after repeated failures; read its log group for the error.',
    });
  }

  /** Graphs a dead-letter queue's depth and oldest message; its own alarm is listed, not duplicated. */
  addDeadLetterQueue(dlq: DeadLetterQueue, label: string): void {
    this.claim('addDeadLetterQueue', label);
    this.deadLetterQueues.push({ label, item: dlq });
    this.alarms.push(dlq.alarm);
  }

  /** A Lambda reading a DynamoDB or Kinesis stream: alarms when its iterator age passes the threshold. */
  addStreamSource(fn: IFunction, label: string): Alarm {
    this.claim('addStreamSource', label);
    this.streams.push({ label, item: fn });
    return this.alarm(`${label}-iterator-age`, {
      metric: this.iteratorAge(fn, label, ALARM_PERIOD),
      threshold: this.iteratorAgeThreshold.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `The ${label} stream consumer is more than ${this.iteratorAgeThreshold.toHumanString()} behind; stream records expire after 24 hours. ` +
        'Check its errors and the Certyo budget (a rate-limited consumer waits); see docs/operations.md, "Monitoring and alarms".',
    });
  }

  /**
   * The verification workflow: executions by outcome (and its notifications, when given);
   * alarms on any failed, timed-out or aborted execution. An execution that publishes a
   * `failed` notification succeeds: it did its job. One that fails did not notify at all.
   */
  addWorkflow(stateMachine: IStateMachine, label: string, options: WorkflowMonitoringOptions = {}): Alarm {
    this.claim('addWorkflow', label);
    const outcomes = options.outcomes ?? false;
    const unverifiedThreshold = options.unverifiedThreshold ?? 10;
    if (!Number.isInteger(unverifiedThreshold) || unverifiedThreshold < 1) {
      throw new Error(`CertyoMonitoring.addWorkflow: unverifiedThreshold must be a whole number of at least 1, got ${unverifiedThreshold}`);
    }
    this.workflows.push({ label, stateMachine, notifications: options.notifications, outcomes });
    if (outcomes) this.addOutcomeAlarms(label, unverifiedThreshold);
    const sum = { period: ALARM_PERIOD, statistic: 'Sum' };
    return this.alarm(`${label}-failures`, {
      metric: new MathExpression({
        // FILL: a metric with no data point (nothing failed) must count as 0, not void the sum.
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: stateMachine.metricFailed(sum),
          timedOut: stateMachine.metricTimedOut(sum),
          aborted: stateMachine.metricAborted(sum),
        },
        label: `${label} executions failed, timed out or aborted`,
        period: ALARM_PERIOD,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `A ${label} execution failed, timed out or was aborted: a record may have no notification, or (error Certyo.WriteBackFailed) ` +
        'its notification was sent but a DynamoDB item kept certyo_status=pending. Open the failed executions in the Step Functions console; ' +
        'once the cause is fixed, redrive the execution; for a write-back failure, set the item status from the notification instead (a restart would notify twice).',
    });
  }

  private outcomeMetric(outcome: VerificationOutcome, period: Duration): Metric {
    return new Metric({
      namespace: this.metricsNamespace,
      metricName: VERIFICATION_OUTCOME_METRIC.name,
      dimensionsMap: { [PATH_DIMENSION]: 'verify', [VERIFICATION_OUTCOME_METRIC.dimension]: outcome },
      statistic: 'Sum',
      period,
      label: outcome,
    });
  }

  private addOutcomeAlarms(label: string, unverifiedThreshold: number): void {
    this.alarm(`${label}-integrity`, {
      metric: this.outcomeMetric('failed', ALARM_PERIOD),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `Certyo gave a definite negative answer for a record (${label} notification status=failed: hash_mismatch, anchor_failed, not_ingested or Certyo's own reason). ` +
        'An integrity signal, not an outage: read the failed notifications (subscribe with a status filter), compare the record with its source, and ask Certyo about the snapshot.',
    });
    this.alarm(`${label}-unverified`, {
      metric: this.outcomeMetric('unverified', HOUR),
      threshold: unverifiedThreshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `${unverifiedThreshold} or more records in an hour got no answer from Certyo within the verification horizon (${label} notification status=unverified, reason rate_limited, certyo_unavailable, not_anchored or an HTTP status). ` +
        'An operational signal: check the Certyo budget graph and Certyo\'s health; the records are not known to be bad. Verify them again once Certyo answers.',
    });
  }

  /**
   * An EventBridge bus of the pipeline: failed, dead-lettered, lost and retried invocations of
   * all its rules are graphed, and an event lost (failed permanently AND not written to its
   * dead-letter queue) alarms. Rules are summed with a CloudWatch Metrics Insights query on
   * the bus name, because direct forwarding has one rule per combination of optional fields
   * and an alarm's metric math takes at most 10 metrics. With `deliversToCertyo`, the bus's
   * invocation attempts count in the budget alarm: they include the attempts of every target,
   * so a second target starting the verification workflow counts once per event, close to
   * the verification request it leads to.
   */
  addEventBus(eventBus: IEventBus, options: EventBusMonitoringOptions): Alarm {
    this.claim('addEventBus', options.label);
    const busName = eventBus.eventBusName;
    // The default bus publishes rule metrics without EventBusName: the query below would match nothing.
    if (!Token.isUnresolved(busName) && busName === 'default') throw new Error('CertyoMonitoring.addEventBus: the default event bus is not supported; pass the custom bus the rules are on');
    const deliversToCertyo = options.deliversToCertyo ?? false;
    if (deliversToCertyo && INGEST_PATHS.length + this.buses.filter((b) => b.deliversToCertyo).length + 1 > MAX_ALARM_METRICS) {
      throw new Error(`CertyoMonitoring.addEventBus: the budget alarm can count at most ${MAX_ALARM_METRICS - INGEST_PATHS.length} buses that deliver to Certyo`);
    }
    const registration: BusRegistration = { label: options.label, busName, deliversToCertyo };
    this.buses.push(registration);
    return this.alarm(`${options.label}-events-lost`, {
      metric: this.busRulesMetric(registration, 'InvocationsFailedToBeSentToDlq', ALARM_PERIOD),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description:
        `Events on the ${options.label} bus failed permanently AND could not be written to their dead-letter queue: they are lost. ` +
        'Check the policy and encryption of the dead-letter queues; ask producers to re-send the events of the alarm period.',
    });
  }

  /** An API Gateway REST stage (the Certyo proxy): requests, 4XX, 5XX and latency; alarms on a 5XX share above 5%. */
  addApiGateway(options: ApiGatewayStageOptions): Alarm {
    this.claim('addApiGateway', options.label);
    this.apiStages.push(options);
    return this.alarm(`${options.label}-5xx`, {
      metric: this.apiMetric(options, '5XXError', 'Average', ALARM_PERIOD),
      threshold: API_5XX_RATE,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        `More than ${API_5XX_RATE * 100}% of ${options.label} API requests failed with 5XX in five minutes: Certyo is failing, or the authorizer cannot read the key. ` +
        "Check the authorizer's log group and Certyo's health endpoint.",
    });
  }

  /** Lists on the dashboard an alarm another construct raises (it notifies the operations topic itself). */
  addAlarm(alarm: IAlarm): void {
    if (!this.alarms.includes(alarm)) this.alarms.push(alarm);
  }

  /** Every alarm of the pipeline: those created here and those of registered dead-letter queues. */
  get allAlarms(): readonly IAlarm[] {
    return [...this.alarms];
  }

  private claim(method: string, label: string): void {
    if (!LABEL.test(label)) throw new Error(`CertyoMonitoring.${method}: label must be 1-64 letters, digits, _ or -, starting with a letter or digit, got "${label}"`);
    if (this.labels.has(`${method}:${label}`)) throw new Error(`CertyoMonitoring.${method}: label "${label}" is already registered`);
    this.labels.add(`${method}:${label}`);
  }

  /** One path metric over every ingest path (metric ids `{idPrefix}{i}`), combined by `fn`, per alarm period. */
  private acrossPaths(fn: 'MIN' | 'SUM', idPrefix: string, metricName: string, statistic: string, label: string): MathExpression {
    return new MathExpression({
      expression: `${fn}([${INGEST_PATHS.map((_, i) => `${idPrefix}${i}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(INGEST_PATHS.map((path, i) => [`${idPrefix}${i}`, this.pathMetric(metricName, path, statistic, ALARM_PERIOD)])),
      label,
      period: ALARM_PERIOD,
    });
  }

  private alarm(name: string, options: Omit<NotifyingAlarmOptions, 'alarmName'>): Alarm {
    const alarm = notifyingAlarm(this, `Alarm-${name}`, this.operations.topic, { ...options, alarmName: `${Stack.of(this).stackName}-${name}` });
    this.alarms.push(alarm);
    return alarm;
  }

  /**
   * An L1 alarm, because the metrics it sums are only all known at synthesis: buses that
   * deliver to Certyo are registered after this construct is created, and an L2 alarm renders
   * its metrics when it is constructed.
   */
  private createBudgetAlarm(): IAlarm {
    const name = 'budget-nearly-exhausted';
    const cfn = new CfnAlarm(this, `Alarm-${name}`, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription:
        `The pipeline made ${this.budgetThreshold()} or more of the ${this.hourlyRequestBudget} Certyo requests the key allows per hour (every path's CertyoRequests plus the invocation attempts of the direct-forwarding bus). ` +
        'Requests beyond the budget are rate limited and retried later; nothing is dropped, but anchoring slows down. Find the path spending it on the dashboard; see docs/operations.md, "Monitoring and alarms".',
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: this.budgetThreshold(),
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      alarmActions: [this.operations.topic.topicArn],
      metrics: Lazy.any({ produce: () => this.budgetQueries() }),
    });
    const alarm = Alarm.fromAlarmArn(this, 'BudgetAlarm', cfn.attrArn);
    this.alarms.push(alarm);
    return alarm;
  }

  /** The metric data queries of the budget alarm (`CfnAlarm` validates and renders them after resolving). */
  private budgetQueries(): CfnAlarm.MetricDataQueryProperty[] {
    const terms = this.budgetTerms();
    return [
      { id: 'requests', expression: this.budgetExpression(terms.length), label: 'Certyo requests in the hour', returnData: true },
      ...terms.map((metric, i): CfnAlarm.MetricDataQueryProperty => {
        const stat = metric.toMetricConfig().metricStat;
        if (!stat) throw new Error('CertyoMonitoring: a budget term must be a plain metric');
        return {
          id: `m${i}`,
          returnData: false,
          metricStat: {
            metric: { namespace: stat.namespace, metricName: stat.metricName, dimensions: stat.dimensions?.map((d) => ({ name: d.name, value: String(d.value) })) },
            period: stat.period.toSeconds(),
            stat: stat.statistic,
          },
        };
      }),
    ];
  }

  /** What the budget alarm sums: every path (a path nobody registered still spends the key) and every bus delivering to Certyo. */
  private budgetTerms(): Metric[] {
    return [
      ...INGEST_PATHS.map((path) => this.pathMetric(METRIC_NAMES.certyoRequests, path, 'Sum', HOUR)),
      ...this.certyoBuses().map((bus) => this.busAttempts(bus, HOUR)),
    ];
  }

  private budgetExpression(count: number): string {
    // FILL: paths that made no request have no data point and must add 0.
    return Array.from({ length: count }, (_, i) => `FILL(m${i}, 0)`).join(' + ');
  }

  private budgetThreshold(): number {
    return Math.round(this.hourlyRequestBudget * this.budgetAlarmFraction);
  }

  private remainingThreshold(): number {
    return this.hourlyRequestBudget - this.budgetThreshold();
  }

  private pathMetric(metricName: string, path: IngestPath, statistic: string, period: Duration): Metric {
    return new Metric({ namespace: this.metricsNamespace, metricName, dimensionsMap: { [PATH_DIMENSION]: path }, statistic, period, label: path });
  }

  private certyoBuses(): BusRegistration[] {
    return this.buses.filter((bus) => bus.deliversToCertyo);
  }

  /** Attempts to invoke any target of any rule on the bus (AWS/Events publishes it per bus). */
  private busAttempts(bus: BusRegistration, period: Duration): Metric {
    return new Metric({
      namespace: 'AWS/Events',
      metricName: 'InvocationAttempts',
      dimensionsMap: { EventBusName: bus.busName },
      statistic: 'Sum',
      period,
      label: `${bus.label} invocation attempts`,
    });
  }

  /** A metric summed over every rule of the bus (rules of a custom bus carry EventBusName and RuleName). */
  private busRulesMetric(bus: BusRegistration, metricName: string, period: Duration): MathExpression {
    return new MathExpression({
      expression: `SELECT SUM(${metricName}) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '${bus.busName}'`,
      label: `${bus.label} ${metricName}`,
      period,
    });
  }

  private apiMetric(api: ApiGatewayStageOptions, metricName: string, statistic: string, period: Duration): Metric {
    return new Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiName: api.apiName, Stage: api.stageName },
      statistic,
      period,
      label: `${api.label} ${metricName}`,
    });
  }

  private iteratorAge(fn: IFunction, label: string, period: Duration): Metric {
    return fn.metric('IteratorAge', { statistic: 'Maximum', period, label: `${label} iterator age` });
  }

  private pathGraph(title: string, metricName: string, statistic: string, period: Duration, extra: Partial<{ leftAnnotations: HorizontalAnnotation[] }> = {}): GraphWidget {
    return new GraphWidget({
      title,
      width: 6,
      height: 6,
      left: this.ingestPaths.map((path) => this.pathMetric(metricName, path, statistic, period)),
      ...extra,
    });
  }

  private recordWidgets(): IWidget[] {
    if (this.ingestPaths.length === 0) return [];
    return [
      this.pathGraph('Records accepted / minute', METRIC_NAMES.recordsAccepted, 'Sum', MINUTE),
      this.pathGraph('Records replayed (idempotent) / minute', METRIC_NAMES.recordsReplayed, 'Sum', MINUTE),
      this.pathGraph('Records rejected (to DLQ) / minute', METRIC_NAMES.recordsRejected, 'Sum', MINUTE),
      this.pathGraph('Records per bulk request (avg)', METRIC_NAMES.bulkSize, 'Average', ALARM_PERIOD, {
        leftAnnotations: [{ value: 1000, label: 'bulk maximum' }],
      }),
    ];
  }

  private budgetWidgets(): IWidget[] {
    const terms = this.budgetTerms();
    const total = new MathExpression({
      expression: this.budgetExpression(terms.length),
      usingMetrics: Object.fromEntries(terms.map((metric, i) => [`m${i}`, metric])),
      label: 'all paths (as the budget alarm counts)',
      period: HOUR,
    });
    return [
      new GraphWidget({
        title: `Certyo requests / hour (budget ${this.hourlyRequestBudget})`,
        width: 12,
        height: 6,
        // The lines before the total: listed after it, CDK would merge them into its hidden inputs.
        left: [
          ...this.ingestPaths.map((path) => this.pathMetric(METRIC_NAMES.certyoRequests, path, 'Sum', HOUR)),
          ...this.certyoBuses().map((bus) => this.busAttempts(bus, HOUR)),
          total,
        ],
        leftAnnotations: [
          { value: this.hourlyRequestBudget, label: 'hourly budget', color: '#d62728' },
          { value: this.budgetThreshold(), label: 'budget alarm', color: '#ff7f0e' },
        ],
        leftYAxis: { min: 0 },
      }),
      this.pathGraph('Rate limited (429) / 5 min', METRIC_NAMES.rateLimited, 'Sum', ALARM_PERIOD),
      this.pathGraph('Requests remaining (Certyo, min)', METRIC_NAMES.rateLimitRemaining, 'Minimum', ALARM_PERIOD, {
        leftAnnotations: [{ value: this.remainingThreshold(), label: 'remaining alarm', color: '#ff7f0e' }],
      }),
      // Above zero, instances are spending the key without the shared budget record (docs/rate-budget.md).
      this.pathGraph('Shared rate budget unavailable / 5 min', BUDGET_METRIC_NAMES.rateBudgetUnavailable, 'Sum', ALARM_PERIOD),
      // Waits instead of 429s: the window or the path's share was spent, or a Retry-After runs.
      this.pathGraph('Held back by the shared rate budget / 5 min', BUDGET_METRIC_NAMES.rateBudgetWaits, 'Sum', ALARM_PERIOD),
    ];
  }

  private deadLetterWidgets(): IWidget[] {
    if (this.deadLetterQueues.length === 0) return [];
    return [
      new GraphWidget({
        title: 'Dead-letter queue depth (messages)',
        width: 12,
        height: 6,
        left: this.deadLetterQueues.map(({ label, item }) => item.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE, label })),
      }),
      new GraphWidget({
        title: 'Oldest dead-lettered message (seconds)',
        width: 12,
        height: 6,
        left: this.deadLetterQueues.map(({ label, item }) => item.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: ALARM_PERIOD, label })),
      }),
    ];
  }

  private functionWidgets(): IWidget[] {
    if (this.functions.length === 0) return [];
    return [
      new GraphWidget({
        title: 'Lambda errors and throttles / 5 min',
        width: 12,
        height: 6,
        left: this.functions.flatMap(({ label, item }) => [
          item.metricErrors({ statistic: 'Sum', period: ALARM_PERIOD, label: `${label} errors` }),
          item.metricThrottles({ statistic: 'Sum', period: ALARM_PERIOD, label: `${label} throttles` }),
        ]),
      }),
      new GraphWidget({
        title: 'Lambda duration (p99, ms)',
        width: 12,
        height: 6,
        left: this.functions.map(({ label, item }) => item.metricDuration({ statistic: 'p99', period: ALARM_PERIOD, label })),
      }),
    ];
  }

  private streamWidgets(): IWidget[] {
    if (this.streams.length === 0) return [];
    return [
      new GraphWidget({
        title: 'Stream iterator age (max, ms)',
        width: 12,
        height: 6,
        left: this.streams.map(({ label, item }) => this.iteratorAge(item, label, MINUTE)),
        leftAnnotations: [{ value: this.iteratorAgeThreshold.toMilliseconds(), label: 'alarm', color: '#ff7f0e' }],
      }),
    ];
  }

  private workflowWidgets(): IWidget[] {
    const options = (label: string) => ({ statistic: 'Sum', period: ALARM_PERIOD, label });
    return this.workflows.flatMap(({ label, stateMachine, notifications, outcomes }) => [
      new GraphWidget({
        title: `${label}: executions / 5 min`,
        width: 12,
        height: 6,
        left: [
          stateMachine.metricStarted(options('started')),
          stateMachine.metricSucceeded(options('succeeded (notification sent)')),
          stateMachine.metricFailed(options('failed')),
          stateMachine.metricTimedOut(options('timed out')),
          stateMachine.metricAborted(options('aborted')),
        ],
      }),
      ...(notifications
        ? [
            new GraphWidget({
              title: `${label}: notifications / 5 min`,
              width: 12,
              height: 6,
              left: [
                notifications.metricNumberOfMessagesPublished(options('published')),
                notifications.metricNumberOfNotificationsFailed(options('deliveries failed')),
              ],
            }),
          ]
        : []),
      ...(outcomes
        ? [
            new GraphWidget({
              title: `${label}: outcomes / 5 min (failed = integrity, unverified = operations)`,
              width: 12,
              height: 6,
              left: VERIFICATION_OUTCOME_METRIC.outcomes.map((outcome) => this.outcomeMetric(outcome, ALARM_PERIOD)),
            }),
          ]
        : []),
    ]);
  }

  private busWidgets(): IWidget[] {
    return this.buses.map(
      (bus) =>
        new GraphWidget({
          title: `${bus.label}: rule invocations / 5 min`,
          width: 12,
          height: 6,
          left: ['FailedInvocations', 'InvocationsSentToDlq', 'InvocationsFailedToBeSentToDlq', 'RetryInvocationAttempts'].map((name) =>
            this.busRulesMetric(bus, name, ALARM_PERIOD),
          ),
        }),
    );
  }

  private apiWidgets(): IWidget[] {
    return this.apiStages.flatMap((api) => [
      ...(api.consumerUsage === undefined
        ? []
        : [
            new LogQueryWidget({
              title: `${api.label}: Certyo requests per consumer per hour (all consumers together may make ${api.consumerUsage.hourlyRequestShare})`,
              width: 24,
              height: 6,
              logGroupNames: [api.consumerUsage.accessLogGroupName],
              view: LogQueryVisualizationType.BAR,
              // Only requests that reached Certyo spend its budget (integrationStatus is "-" otherwise).
              queryLines: ['fields consumer', 'filter integrationStatus != "-"', 'stats count(*) as requests by consumer, bin(1h)'],
            }),
          ]),
      new GraphWidget({
        title: `${api.label}: requests / 5 min`,
        width: 12,
        height: 6,
        left: ['Count', '4XXError', '5XXError'].map((name) => this.apiMetric(api, name, 'Sum', ALARM_PERIOD)),
      }),
      new GraphWidget({
        title: `${api.label}: latency (p99, ms)`,
        width: 12,
        height: 6,
        left: ['Latency', 'IntegrationLatency'].map((name) => this.apiMetric(api, name, 'p99', ALARM_PERIOD)),
      }),
    ]);
  }
}

function validate(id: string, namespace: string, budget: number, fraction: number, iteratorAge: Duration): void {
  const problems = new PropProblems(`CertyoMonitoring ${id}`);
  if (namespace.trim() === '' || namespace.startsWith('AWS/')) problems.add(`metricsNamespace must be non-empty and not start with "AWS/", got "${namespace}"`);
  if (!Number.isInteger(budget) || budget < 1) problems.add(`hourlyRequestBudget must be a whole number of at least 1, got ${budget}`);
  if (!(fraction > 0 && fraction < 1)) problems.add(`budgetAlarmFraction must be between 0 and 1 (exclusive), got ${fraction}`);
  if (iteratorAge.toMilliseconds() < 60_000) problems.add(`iteratorAgeThreshold must be at least 1 minute, got ${iteratorAge.toHumanString()}`);
  problems.throwIfAny();
}
