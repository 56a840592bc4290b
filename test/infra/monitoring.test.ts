import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Code, Function, IFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { INGEST_PATHS, METRIC_NAMES } from '../../lambdas/shared/metric-names';
import { createMetrics, publishIngestMetrics } from '../../lambdas/shared/observability';
import { DeadLetterQueue } from '../../lib/constructs/dead-letter-queue';
import { CertyoMonitoring, CertyoMonitoringProps } from '../../lib/constructs/monitoring';
import { OperationsTopic } from '../../lib/constructs/operations-topic';
import { formatFindings, readFindings, synth, synthesizeApp } from '../helpers/synth';

type Json = Record<string, unknown>;
/** A dashboard metric as CloudWatch's JSON writes it: namespace, name, dimension pairs, then options. */
type WidgetMetric = (string | Json)[];
interface Widget {
  type: string;
  width: number;
  height: number;
  x: number;
  y: number;
  properties: {
    title?: string;
    markdown?: string;
    metrics?: WidgetMetric[];
    alarms?: string[];
    annotations?: { horizontal?: { value: number; label?: string }[] };
  };
}

interface Fixture {
  readonly stack: Stack;
  readonly operations: OperationsTopic;
  readonly monitoring: CertyoMonitoring;
}

function fixture(props: Partial<CertyoMonitoringProps> = {}): Fixture {
  const stack = new Stack(new App(), 'Monitored', { env: { account: '123456789012', region: 'eu-west-1' } });
  const operations = new OperationsTopic(stack, 'Operations');
  const monitoring = new CertyoMonitoring(stack, 'Monitoring', { operations, metricsNamespace: 'Certyo', ...props });
  return { stack, operations, monitoring };
}

function dummyFunction(stack: Stack, id: string): Function {
  return new Function(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({});') });
}

/** A stack with one of everything registered, as the pipeline stack will have. */
function registeredEverything(): Fixture & { ingest: IFunction; stream: IFunction; dlq: DeadLetterQueue; workflow: StateMachine; notifications: Topic; bus: EventBus } {
  const f = fixture();
  const ingest = dummyFunction(f.stack, 'S3IngestFn');
  const stream = dummyFunction(f.stack, 'DdbIngestFn');
  const dlq = new DeadLetterQueue(f.stack, 'FailedMessages', { operations: f.operations, purpose: 'Test messages.' });
  const workflow = new StateMachine(f.stack, 'Verify', { definitionBody: DefinitionBody.fromChainable(new Pass(f.stack, 'Done')) });
  const bus = new EventBus(f.stack, 'Bus', { eventBusName: 'domain-events' });
  const notifications = new Topic(f.stack, 'Notifications', { enforceSSL: true });
  f.monitoring.addIngestFunction(ingest, 's3');
  f.monitoring.addIngestFunction(stream, 'dynamodb');
  f.monitoring.addStreamSource(stream, 'dynamodb');
  f.monitoring.addDeadLetterQueue(dlq, 's3-failed');
  f.monitoring.addWorkflow(workflow, 'verify', { notifications, outcomes: true, unverifiedThreshold: 25 });
  f.monitoring.addEventBus(bus, { label: 'domain-events', deliversToCertyo: true });
  f.monitoring.addApiGateway({ apiName: 'certyo-proxy', stageName: 'v1', label: 'proxy' });
  return { ...f, ingest, stream, dlq, workflow, notifications, bus };
}

/** Intrinsics inside the dashboard body become `<{...}>` strings, so the body parses as JSON. */
function dashboardWidgets(template: Template): Widget[] {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'")}>`)).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

function widget(widgets: Widget[], title: string): Widget {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found) throw new Error(`no widget titled "${title}"; titles: ${widgets.map((w) => w.properties.title ?? w.properties.markdown).join(' | ')}`);
  return found;
}

/** The namespace, name and dimension pairs of a widget metric, without its options. */
function identity(metric: WidgetMetric): string[] {
  return metric.filter((part): part is string => typeof part === 'string');
}

function alarm(template: Template, name: string): Json {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
  expect(alarms).toHaveLength(1);
  return (alarms[0] as { Properties: Json }).Properties;
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
}

const ref = (id: string) => ({ Ref: id });
const topicRef = (f: Fixture) => [ref(logicalId(f.stack, f.operations.topic))];

describe('CertyoMonitoring alarms', () => {
  const f = registeredEverything();
  const template = Template.fromStack(f.stack);

  it('alarms when the pipeline made 80% of the hourly budget: every path and the direct-forwarding bus, summed over one hour', () => {
    // Act
    const props = alarm(template, 'Monitored-budget-nearly-exhausted');

    // Assert
    expect(props).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 800, EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect(props.AlarmActions).toEqual(topicRef(f));
    const queries = props.Metrics as Json[];
    const terms = [...INGEST_PATHS, 'bus'].map((_, i) => `FILL(m${i}, 0)`);
    expect(queries[0]).toEqual({ Id: 'requests', Expression: terms.join(' + '), Label: 'Certyo requests in the hour', ReturnData: true });
    expect(queries.slice(1, 1 + INGEST_PATHS.length)).toEqual(
      INGEST_PATHS.map((p, i) => ({
        Id: `m${i}`,
        ReturnData: false,
        MetricStat: { Metric: { Namespace: 'Certyo', MetricName: 'CertyoRequests', Dimensions: [{ Name: 'Path', Value: p }] }, Period: 3600, Stat: 'Sum' },
      })),
    );
    expect(queries).toHaveLength(2 + INGEST_PATHS.length);
  });

  it('alarms when an event on the bus is lost: failed and not dead-lettered, summed over every rule of the bus', () => {
    // Act
    const props = alarm(template, 'Monitored-domain-events-events-lost');

    // Assert
    expect(props).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1, TreatMissingData: 'notBreaching' });
    expect(props.AlarmActions).toEqual(topicRef(f));
    expect(props.Metrics).toEqual([
      {
        Id: expect.any(String),
        Label: 'domain-events InvocationsFailedToBeSentToDlq',
        Period: 300,
        ReturnData: true,
        Expression: {
          'Fn::Join': [
            '',
            [
              `SELECT SUM(InvocationsFailedToBeSentToDlq) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '`,
              ref(logicalId(f.stack, f.bus)),
              "'",
            ],
          ],
        },
      },
    ]);
  });

  it('counts the attempts of a bus that delivers to Certyo in the budget, by bus name', () => {
    // Act
    const queries = alarm(template, 'Monitored-budget-nearly-exhausted').Metrics as Json[];

    // Assert
    expect(queries[queries.length - 1]).toEqual({
      Id: `m${INGEST_PATHS.length}`,
      ReturnData: false,
      MetricStat: {
        Metric: { Namespace: 'AWS/Events', MetricName: 'InvocationAttempts', Dimensions: [{ Name: 'EventBusName', Value: ref(logicalId(f.stack, f.bus)) }] },
        Period: 3600,
        Stat: 'Sum',
      },
    });
  });

  it('leaves a bus that does not deliver to Certyo out of the budget', () => {
    // Arrange
    const d = fixture();

    // Act
    d.monitoring.addEventBus(new EventBus(d.stack, 'Bus'), { label: 'batched' });
    const queries = alarm(Template.fromStack(d.stack), 'Monitored-budget-nearly-exhausted').Metrics as Json[];

    // Assert
    expect(queries).toHaveLength(1 + INGEST_PATHS.length);
  });

  it("alarms when Certyo's remaining requests, seen on any path, fall to 20% of the budget", () => {
    // Act
    const props = alarm(template, 'Monitored-RateLimitRemainingLow');

    // Assert
    expect(props).toMatchObject({ ComparisonOperator: 'LessThanOrEqualToThreshold', Threshold: 200, TreatMissingData: 'notBreaching' });
    expect(props.AlarmActions).toEqual(topicRef(f));
    const queries = props.Metrics as Json[];
    expect(queries[0]).toMatchObject({ Expression: `MIN([${INGEST_PATHS.map((_, i) => `r${i}`).join(', ')}])`, ReturnData: true });
    expect(queries.slice(1)).toEqual(
      INGEST_PATHS.map((p, i) =>
        expect.objectContaining({
          Id: `r${i}`,
          MetricStat: { Metric: { Namespace: 'Certyo', MetricName: 'RateLimitRemaining', Dimensions: [{ Name: 'Path', Value: p }] }, Period: 300, Stat: 'Minimum' },
        }),
      ),
    );
  });

  it('alarms on one Lambda error in five minutes, per registered function', () => {
    // Act
    const props = alarm(template, 'Monitored-s3-errors');

    // Assert
    expect(props).toMatchObject({
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      Metrics: [
        {
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: ref(logicalId(f.stack, f.ingest)) }] },
            Period: 300,
            Stat: 'Sum',
          },
        },
      ],
    });
    expect(props.AlarmActions).toEqual(topicRef(f));
  });

  it("lists a function's existing errors alarm instead of creating a second one", () => {
    // Arrange
    const d = fixture();
    const fn = dummyFunction(d.stack, 'KeySync');
    const existing = new Alarm(d.stack, 'KeySyncErrors', { metric: fn.metricErrors(), threshold: 0, evaluationPeriods: 1 });

    // Act
    const returned = d.monitoring.addFunction(fn, 'key-sync', { errorsAlarm: existing });
    const template = Template.fromStack(d.stack);

    // Assert
    expect(returned).toBe(existing);
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'Errors' } }))).toHaveLength(1);
    expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'Monitored-key-sync-errors' } })).toEqual({});
    const status = dashboardWidgets(template).find((w) => w.type === 'alarm');
    expect(status?.properties.alarms).toContain(`<{'Fn::GetAtt':['${d.stack.getLogicalId(existing.node.defaultChild as never)}','Arn']}>`);
    expect(widget(dashboardWidgets(template), 'Lambda duration (p99, ms)').properties.metrics).toHaveLength(1);
  });

  it("lists another construct's alarm once on the dashboard", () => {
    // Arrange
    const d = fixture();
    const backlog = new Alarm(d.stack, 'Backlog', { metric: dummyFunction(d.stack, 'Fn').metricDuration(), threshold: 1, evaluationPeriods: 1 });

    // Act
    d.monitoring.addAlarm(backlog);
    d.monitoring.addAlarm(backlog);
    const status = dashboardWidgets(Template.fromStack(d.stack)).find((w) => w.type === 'alarm');

    // Assert
    const arn = `<{'Fn::GetAtt':['${d.stack.getLogicalId(backlog.node.defaultChild as never)}','Arn']}>`;
    expect(status?.properties.alarms?.filter((a) => a === arn)).toHaveLength(1);
  });

  it('alarms when a stream consumer is more than 4 hours behind', () => {
    // Act
    const props = alarm(template, 'Monitored-dynamodb-iterator-age');

    // Assert
    expect(props).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 14_400_000,
      Metrics: [
        {
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: ref(logicalId(f.stack, f.stream)) }] },
            Period: 300,
            Stat: 'Maximum',
          },
        },
      ],
    });
  });

  it('alarms on any failed, timed-out or aborted verification execution', () => {
    // Act
    const props = alarm(template, 'Monitored-verify-failures');

    // Assert
    expect(props).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1 });
    const queries = props.Metrics as Json[];
    expect(queries[0]).toMatchObject({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)', ReturnData: true });
    const machine = [{ Name: 'StateMachineArn', Value: ref(logicalId(f.stack, f.workflow)) }];
    expect(queries.slice(1)).toEqual([
      expect.objectContaining({ Id: 'failed', MetricStat: { Metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Dimensions: machine }, Period: 300, Stat: 'Sum' } }),
      expect.objectContaining({ Id: 'timedOut', MetricStat: { Metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut', Dimensions: machine }, Period: 300, Stat: 'Sum' } }),
      expect.objectContaining({ Id: 'aborted', MetricStat: { Metric: { Namespace: 'AWS/States', MetricName: 'ExecutionsAborted', Dimensions: machine }, Period: 300, Stat: 'Sum' } }),
    ]);
  });

  it('alarms on any failed verification outcome (integrity) and on an hour of unverified ones (operations), apart', () => {
    const dimensions = (outcome: string) => [
      { Name: 'Outcome', Value: outcome },
      { Name: 'Path', Value: 'verify' },
    ];

    const integrity = alarm(template, 'Monitored-verify-integrity');
    const unverified = alarm(template, 'Monitored-verify-unverified');

    const stat = (props: Json) => (props.Metrics as { MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] }; Period: number; Stat: string } }[])[0]?.MetricStat;
    expect(integrity).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(stat(integrity)).toMatchObject({ Metric: { Namespace: 'Certyo', MetricName: 'Verifications' }, Period: 300, Stat: 'Sum' });
    expect(stat(integrity)?.Metric.Dimensions).toEqual(expect.arrayContaining(dimensions('failed')));
    expect(unverified).toMatchObject({ Threshold: 25, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(stat(unverified)).toMatchObject({ Metric: { Namespace: 'Certyo', MetricName: 'Verifications' }, Period: 3600, Stat: 'Sum' });
    expect(stat(unverified)?.Metric.Dimensions).toEqual(expect.arrayContaining(dimensions('unverified')));
    expect(String(integrity.AlarmDescription)).toMatch(/integrity/i);
    expect(String(unverified.AlarmDescription)).toMatch(/operational/i);
  });

  it('rejects an unverifiedThreshold below 1', () => {
    const f = fixture();
    const workflow = new StateMachine(f.stack, 'Verify', { definitionBody: DefinitionBody.fromChainable(new Pass(f.stack, 'Done')) });

    expect(() => f.monitoring.addWorkflow(workflow, 'verify', { outcomes: true, unverifiedThreshold: 0 })).toThrow(/unverifiedThreshold must be a whole number of at least 1, got 0/);
  });

  it('alarms when more than 5% of proxy requests end in 5XX', () => {
    // Act
    const props = alarm(template, 'Monitored-proxy-5xx');

    // Assert
    expect(props).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.05,
      Metrics: [
        {
          MetricStat: {
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Dimensions: [{ Name: 'ApiName', Value: 'certyo-proxy' }, { Name: 'Stage', Value: 'v1' }] },
            Period: 300,
            Stat: 'Average',
          },
        },
      ],
    });
  });

  it('does not alarm twice on a dead-letter queue: the queue keeps its own single alarm', () => {
    // Act
    const onQueue = template.findResources('AWS::CloudWatch::Alarm', {
      Properties: { MetricName: 'ApproximateNumberOfMessagesVisible' },
    });

    // Assert
    expect(Object.keys(onQueue)).toHaveLength(1);
  });

  it('sends every alarm of the stack to the operations topic', () => {
    // Act
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Json }[];

    // Assert
    expect(alarms).toHaveLength(12);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual(topicRef(f));
  });

  it('derives both budget thresholds from the budget and the fraction', () => {
    // Arrange
    const custom = fixture({ hourlyRequestBudget: 500, budgetAlarmFraction: 0.9 });

    // Act
    const t = Template.fromStack(custom.stack);

    // Assert
    expect(alarm(t, 'Monitored-budget-nearly-exhausted').Threshold).toBe(450);
    expect(alarm(t, 'Monitored-RateLimitRemainingLow').Threshold).toBe(50);
  });

  it('uses the configured iterator age threshold', () => {
    // Arrange
    const custom = fixture({ iteratorAgeThreshold: Duration.minutes(30) });
    custom.monitoring.addStreamSource(dummyFunction(custom.stack, 'Stream'), 'orders');

    // Act
    const props = alarm(Template.fromStack(custom.stack), 'Monitored-orders-iterator-age');

    // Assert
    expect(props.Threshold).toBe(1_800_000);
  });
});

describe('CertyoMonitoring dashboard', () => {
  const f = registeredEverything();
  const template = Template.fromStack(f.stack);
  const widgets = dashboardWidgets(template);

  it('is named after the stack and region', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Monitored-eu-west-1' });
  });

  it('graphs the metrics exactly as the Lambdas emit them: namespace, name and the Path dimension alone', () => {
    // Arrange: what a Lambda of the s3 path writes (embedded metric format).
    const metrics = createMetrics('s3', 'Certyo');
    publishIngestMetrics(metrics, { accepted: [], rejected: [], unsent: [], requests: 1 }, { remaining: 10 });
    const emf = metrics.serializeMetrics();
    const [directive] = emf._aws.CloudWatchMetrics;
    const dimensions = directive!.Dimensions.flat().flatMap((name) => [name, String((emf as Record<string, unknown>)[name])]);

    // Act
    const graphed = widgets.flatMap((w) => w.properties.metrics ?? []).map(identity);

    // Assert
    for (const { Name } of directive!.Metrics) {
      expect(graphed).toContainEqual([directive!.Namespace, Name, ...dimensions]);
    }
  });

  it('shows records accepted, replayed and rejected per minute, and bulk size, for each registered path', () => {
    for (const [title, name] of [
      ['Records accepted / minute', METRIC_NAMES.recordsAccepted],
      ['Records replayed (idempotent) / minute', METRIC_NAMES.recordsReplayed],
      ['Records rejected (to DLQ) / minute', METRIC_NAMES.recordsRejected],
    ] as const) {
      const metrics = widget(widgets, title).properties.metrics ?? [];
      expect(metrics).toEqual([
        ['Certyo', name, 'Path', 's3', expect.objectContaining({ stat: 'Sum', period: 60 })],
        ['Certyo', name, 'Path', 'dynamodb', expect.objectContaining({ stat: 'Sum', period: 60 })],
      ]);
    }
    const bulk = widget(widgets, 'Records per bulk request (avg)');
    expect(bulk.properties.metrics?.map(identity)).toEqual([
      ['Certyo', 'BulkSize', 'Path', 's3'],
      ['Certyo', 'BulkSize', 'Path', 'dynamodb'],
    ]);
    expect(bulk.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 1000 })]);
  });

  it('shows Certyo requests per hour against the budget, with the total the alarm counts', () => {
    // Act
    const budget = widget(widgets, 'Certyo requests / hour (budget 1000)');

    // Assert
    const metrics = budget.properties.metrics ?? [];
    expect(metrics.map(identity)).toEqual(expect.arrayContaining([['Certyo', 'CertyoRequests', 'Path', 's3'], ['Certyo', 'CertyoRequests', 'Path', 'dynamodb']]));
    const total = metrics.find((m) => typeof m[0] === 'object' && 'expression' in m[0]);
    const [alarmTotal] = alarm(template, 'Monitored-budget-nearly-exhausted').Metrics as Json[];
    expect(total?.[0]).toMatchObject({ expression: alarmTotal?.Expression, label: 'all paths (as the budget alarm counts)', period: 3600 });
    for (const m of metrics.filter((x) => typeof x[0] === 'string')) expect(m[m.length - 1]).toMatchObject({ period: 3600, stat: 'Sum' });
    expect(budget.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 1000, label: 'hourly budget' }),
      expect.objectContaining({ value: 800, label: 'budget alarm' }),
    ]);
  });

  it('shows 429s and the requests Certyo says remain', () => {
    expect(widget(widgets, 'Rate limited (429) / 5 min').properties.metrics?.map(identity)).toEqual([
      ['Certyo', 'RateLimited', 'Path', 's3'],
      ['Certyo', 'RateLimited', 'Path', 'dynamodb'],
    ]);
    const remaining = widget(widgets, 'Requests remaining (Certyo, min)');
    expect(remaining.properties.metrics?.[0]).toEqual(['Certyo', 'RateLimitRemaining', 'Path', 's3', expect.objectContaining({ stat: 'Minimum' })]);
    expect(remaining.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 200 })]);
  });

  it('alarms when instances spend the key without the shared rate budget record', () => {
    const props = alarm(template, 'Monitored-RateBudgetUnavailable');
    expect(props).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    const ids = (props.Metrics as { Id: string; MetricStat?: { Metric: { MetricName: string } } }[]).filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric.MetricName);
    expect(new Set(ids)).toEqual(new Set(['RateBudgetUnavailable']));
  });

  it('shows when instances spend the key without the shared rate budget record', () => {
    expect(widget(widgets, 'Shared rate budget unavailable / 5 min').properties.metrics?.map(identity)).toEqual([
      ['Certyo', 'RateBudgetUnavailable', 'Path', 's3'],
      ['Certyo', 'RateBudgetUnavailable', 'Path', 'dynamodb'],
    ]);
  });

  it('shows dead-letter queue depth and age', () => {
    const queue = `<{'Fn::GetAtt':['${logicalId(f.stack, f.dlq.queue)}','QueueName']}>`;
    expect(widget(widgets, 'Dead-letter queue depth (messages)').properties.metrics).toEqual([
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queue, expect.objectContaining({ label: 's3-failed', stat: 'Maximum' })],
    ]);
    expect(widget(widgets, 'Oldest dead-lettered message (seconds)').properties.metrics?.map(identity)).toEqual([['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queue]]);
  });

  it('shows Lambda errors, throttles and p99 duration per function', () => {
    const fn = `<{'Ref':'${logicalId(f.stack, f.ingest)}'}>`;
    expect(widget(widgets, 'Lambda errors and throttles / 5 min').properties.metrics?.map(identity)).toEqual(
      expect.arrayContaining([
        ['AWS/Lambda', 'Errors', 'FunctionName', fn],
        ['AWS/Lambda', 'Throttles', 'FunctionName', fn],
      ]),
    );
    expect(widget(widgets, 'Lambda duration (p99, ms)').properties.metrics).toContainEqual(['AWS/Lambda', 'Duration', 'FunctionName', fn, expect.objectContaining({ stat: 'p99' })]);
  });

  it('shows stream iterator age with the alarm threshold', () => {
    const age = widget(widgets, 'Stream iterator age (max, ms)');
    expect(age.properties.metrics).toEqual([['AWS/Lambda', 'IteratorAge', 'FunctionName', `<{'Ref':'${logicalId(f.stack, f.stream)}'}>`, expect.objectContaining({ stat: 'Maximum' })]]);
    expect(age.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 14_400_000 })]);
  });

  it('shows workflow executions by outcome and the notifications it published', () => {
    const machine = `<{'Ref':'${logicalId(f.stack, f.workflow)}'}>`;
    expect(widget(widgets, 'verify: executions / 5 min').properties.metrics?.map(identity)).toEqual(
      ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) => ['AWS/States', name, 'StateMachineArn', machine]),
    );
    const topic = `<{'Fn::GetAtt':['${logicalId(f.stack, f.notifications)}','TopicName']}>`;
    expect(widget(widgets, 'verify: notifications / 5 min').properties.metrics?.map(identity)).toEqual([
      ['AWS/SNS', 'NumberOfMessagesPublished', 'TopicName', topic],
      ['AWS/SNS', 'NumberOfNotificationsFailed', 'TopicName', topic],
    ]);
  });

  it('shows failed, dead-lettered, lost and retried invocations of every rule on the bus', () => {
    const metrics = widget(widgets, 'domain-events: rule invocations / 5 min').properties.metrics ?? [];
    expect(metrics.map((m) => (m[0] as Json).expression)).toEqual(
      ['FailedInvocations', 'InvocationsSentToDlq', 'InvocationsFailedToBeSentToDlq', 'RetryInvocationAttempts'].map(
        (name) => `SELECT SUM(${name}) FROM SCHEMA("AWS/Events", EventBusName, RuleName) WHERE EventBusName = '<{'Ref':'${logicalId(f.stack, f.bus)}'}>'`,
      ),
    );
  });

  it('shows API requests, 4XX, 5XX and latency of the proxy stage', () => {
    const stage = ['ApiName', 'certyo-proxy', 'Stage', 'v1'];
    expect(widget(widgets, 'proxy: requests / 5 min').properties.metrics?.map(identity)).toEqual(['Count', '4XXError', '5XXError'].map((n) => ['AWS/ApiGateway', n, ...stage]));
    expect(widget(widgets, 'proxy: latency (p99, ms)').properties.metrics?.map(identity)).toEqual(['Latency', 'IntegrationLatency'].map((n) => ['AWS/ApiGateway', n, ...stage]));
  });

  it('lists every alarm, the dead-letter queue alarm included', () => {
    const status = widgets.find((w) => w.type === 'alarm');
    expect(status?.properties.alarms).toHaveLength(12);
    expect(status?.properties.alarms).toContain(`<{'Fn::GetAtt':['${f.stack.getLogicalId(f.dlq.alarm.node.defaultChild as never)}','Arn']}>`);
  });

  it('lays widgets out without overlap on the 24-column grid', () => {
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('leaves out the sections of things nobody registered', () => {
    // Arrange
    const bare = fixture();

    // Act
    const titles = dashboardWidgets(Template.fromStack(bare.stack)).map((w) => w.properties.title ?? w.properties.markdown);

    // Assert
    expect(titles).toEqual([
      expect.stringContaining('# Certyo pipeline'),
      '### Alarms',
      'Alarms',
      '### Certyo request budget',
      'Certyo requests / hour (budget 1000)',
      'Rate limited (429) / 5 min',
      'Requests remaining (Certyo, min)',
      'Shared rate budget unavailable / 5 min',
      'Held back by the shared rate budget / 5 min',
    ]);
  });
});

describe('CertyoMonitoring validation', () => {
  it.each([
    ['budgetAlarmFraction', { budgetAlarmFraction: 1 }, 'budgetAlarmFraction must be between 0 and 1'],
    ['hourlyRequestBudget', { hourlyRequestBudget: 0 }, 'hourlyRequestBudget must be a whole number of at least 1'],
    ['metricsNamespace', { metricsNamespace: 'AWS/Lambda' }, 'metricsNamespace must be non-empty and not start with "AWS/"'],
    ['iteratorAgeThreshold', { iteratorAgeThreshold: Duration.seconds(10) }, 'iteratorAgeThreshold must be at least 1 minute'],
  ])('rejects an invalid %s, naming it', (_name, props, message) => {
    expect(() => fixture(props)).toThrow(`CertyoMonitoring Monitoring: ${message}`);
  });

  it('rejects a label registered twice for the same kind', () => {
    const f = fixture();
    const fn = dummyFunction(f.stack, 'Fn');
    f.monitoring.addFunction(fn, 'forwarder');
    expect(() => f.monitoring.addFunction(fn, 'forwarder')).toThrow('CertyoMonitoring.addFunction: label "forwarder" is already registered');
  });

  it('rejects a label that cannot be part of an alarm name', () => {
    const f = fixture();
    expect(() => f.monitoring.addFunction(dummyFunction(f.stack, 'Fn'), 'my function')).toThrow('CertyoMonitoring.addFunction: label must be');
  });

  it('rejects an unknown ingest path', () => {
    const f = fixture();
    expect(() => f.monitoring.addIngestPath('kinesis' as never)).toThrow('path must be one of s3, dynamodb');
  });

  it('rejects more buses delivering to Certyo than one alarm can sum', () => {
    const f = fixture();
    const add = (i: number) => f.monitoring.addEventBus(new EventBus(f.stack, `Bus${i}`), { label: `bus${i}`, deliversToCertyo: true });
    for (let i = 0; i < 3; i++) add(i);
    expect(() => add(3)).toThrow('the budget alarm can count at most 3 buses that deliver to Certyo');
  });

  it('rejects the default bus, whose rule metrics carry no bus name', () => {
    const f = fixture();
    expect(() => f.monitoring.addEventBus(EventBus.fromEventBusName(f.stack, 'Default', 'default'), { label: 'default' })).toThrow('the default event bus is not supported');
  });
});

describe('CertyoMonitoring and cdk-nag', () => {
  it('adds no AwsSolutions finding', () => {
    // Arrange
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'certyo-monitoring-nag-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Monitored');
    const operations = new OperationsTopic(stack, 'Operations');
    const monitoring = new CertyoMonitoring(stack, 'Monitoring', { operations });
    monitoring.addDeadLetterQueue(new DeadLetterQueue(stack, 'Dlq', { operations, purpose: 'Test messages.' }), 'dlq');
    monitoring.addApiGateway({ apiName: 'proxy', stageName: 'v1', label: 'proxy' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    synthesizeApp(app);

    // Assert
    expect(formatFindings(readFindings(outdir))).toBe('(none)');
  });
});

describe('CertyoMonitoring in CertyoPipelineStack', () => {
  const synthesized = synth({ 'certyo:metricsNamespace': 'Acme/Certyo' });
  const template = synthesized.template('CertyoPipelineStack');

  it('graphs the namespace the Lambdas are told to emit into', () => {
    // Arrange
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Json } } }[];
    const namespaces = new Set(functions.map((fn) => fn.Properties.Environment?.Variables?.POWERTOOLS_METRICS_NAMESPACE).filter((ns) => ns !== undefined));

    // Act
    const graphed = dashboardWidgets(template)
      .flatMap((w) => w.properties.metrics ?? [])
      .map(identity)
      .filter((m) => m[1] === METRIC_NAMES.certyoRequests);

    // Assert
    expect([...namespaces]).toEqual(['Acme/Certyo']);
    expect(graphed).toContainEqual(['Acme/Certyo', METRIC_NAMES.certyoRequests, 'Path', 's3']);
  });

  it('registers the S3 ingest function and its dead-letter queues', () => {
    const titles = dashboardWidgets(template).map((w) => w.properties.title);
    expect(titles).toEqual(expect.arrayContaining(['Records accepted / minute', 'Dead-letter queue depth (messages)', 'Lambda errors and throttles / 5 min']));
    expect(widget(dashboardWidgets(template), 'Dead-letter queue depth (messages)').properties.metrics?.length).toBeGreaterThanOrEqual(2);
  });

  it('sends every alarm of the stack to the operations topic', () => {
    const topic = Object.keys(template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'Certyo operations alarms' } }));
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as { Properties: Json }[];
    expect(topic).toHaveLength(1);
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topic[0] }]);
  });
});
