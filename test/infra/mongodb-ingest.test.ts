import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError, loadConfig } from '../../lib/config';
import { formatFindings, projectContext, synth } from '../helpers/synth';

const ATLAS = 'aws.partner/mongodb.com/stitch.trigger/5f7e1f5bc52b3ea5b2f51f2b';
const CLUSTER = {
  clusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:orders',
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:docdb/orders-AbCdEf',
  database: 'shop',
  collection: 'orders',
  vpcId: 'vpc-0abc12345678def01',
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0c1b2c3d4e5f60718'],
};
const BOTH = { 'certyo:forwardingMode': 'batched', 'certyo:mongodb.atlasEventSources': [ATLAS], 'certyo:mongodb.documentdb': [CLUSTER] };

type Statement = { Action: string | string[]; Resource: unknown };
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function functionStatements(template: Template): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^MongoDbIngestFunctionServiceRoleDefaultPolicy') } });
  return Object.values(policies).flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

describe('MongoDbIngest with both keys set', () => {
  const synthesized = synth(BOTH);
  const template = synthesized.template('CertyoPipelineStack');
  const only = (type: string, pattern: RegExp): string => {
    const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
    if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pattern}, found ${ids.join(', ') || 'none'}`);
    return ids[0] as string;
  };

  it('creates the partner event bus and a rule into the batched forwarder buffer, with the failed-deliveries queue', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: ATLAS, EventSourceName: ATLAS });
    const buffer = only('AWS::SQS::Queue', /^BatchedForwardingBuffer/);
    const failedDeliveries = only('AWS::SQS::Queue', /^BatchedForwardingFailedDeliveriesQueue/);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: only('AWS::Events::EventBus', /^MongoDbIngestAtlasBus0/) },
      EventPattern: { source: [ATLAS] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [buffer, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [failedDeliveries, 'Arn'] } } })],
    });
  });

  it('maps the DocumentDB change stream with UpdateLookup and the cluster secret onto mongo-ingest in the VPC', () => {
    const fn = only('AWS::Lambda::Function', /^MongoDbIngestFunction[0-9A-F]{8}$/);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn },
      EventSourceArn: CLUSTER.clusterArn,
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 1000,
      SourceAccessConfigurations: [{ Type: 'BASIC_AUTH', URI: CLUSTER.secretArn }],
      DocumentDBEventSourceConfig: { DatabaseName: 'shop', CollectionName: 'orders', FullDocument: 'UpdateLookup' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: CLUSTER.subnetIds, SecurityGroupIds: CLUSTER.securityGroupIds },
      Environment: { Variables: Match.objectLike({ DEAD_LETTER_QUEUE_URL: { Ref: only('AWS::SQS::Queue', /^MongoDbIngestFailedEventsQueue/) } }) },
    });
  });

  it('grants the cluster secret and the cluster only (least privilege)', () => {
    const statements = functionStatements(template);
    // One statement (CDK merges same-action statements): the Certyo key and the cluster secret, nothing else.
    const secrets = statements.filter((s) => actions(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.flatMap(actions)).toEqual(['secretsmanager:GetSecretValue']);
    const secretResources = secrets.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r));
    expect(secretResources).toHaveLength(2);
    expect(secretResources).toEqual(expect.arrayContaining([expect.stringContaining(':secret:certyo/api-key-??????'), JSON.stringify(CLUSTER.secretArn)]));
    expect(statements.find((s) => actions(s).includes('rds:DescribeDBClusters'))?.Resource).toBe(CLUSTER.clusterArn);
    expect(statements.filter((s) => s.Resource === '*').flatMap(actions).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('alarms on the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [only('AWS::SQS::Queue', /^MongoDbIngestFailedEventsQueue/), 'QueueName'] } }] });
  });

  it('is cdk-nag clean', () => {
    expect(formatFindings(synthesized.findings)).toBe('(none)');
  });
});

describe('MongoDbIngest with one key', () => {
  it('Atlas only: the route, no mongo-ingest function', () => {
    const template = synth({ 'certyo:forwardingMode': 'batched', 'certyo:mongodb.atlasEventSources': [ATLAS] }).template('CertyoPipelineStack');
    template.resourceCountIs('AWS::Events::EventBus', 2);
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('MongoDbIngest'))).toEqual([]);
  });
});

describe('without the MongoDB keys', () => {
  it('nothing MongoDB-specific is created', () => {
    const template = synth().template('CertyoPipelineStack');
    const all = Object.keys(template.toJSON().Resources as Record<string, unknown>);
    expect(all.filter((id) => id.startsWith('MongoDbIngest'))).toEqual([]);
    template.resourceCountIs('AWS::Events::EventBus', 1);
  });
});

describe('configuration', () => {
  const problems = (overrides: Record<string, unknown>): string => {
    try {
      loadConfig(projectContext(overrides));
      return '(valid)';
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
  };

  it('Atlas sources need batched forwarding, named by key', () => {
    expect(problems({ 'certyo:mongodb.atlasEventSources': [ATLAS] })).toMatch(/certyo:mongodb\.atlasEventSources is set, so certyo:forwardingMode must be "batched"/);
  });

  it.each([
    ['certyo:mongodb.atlasEventSources', ['aws.partner/other.com/x'], /certyo:mongodb\.atlasEventSources = .*item 0 is not one/],
    ['certyo:mongodb.documentdb', [{ ...CLUSTER, clusterArn: 'arn:aws:rds:us-east-1:1:db:x' }], /item 0 needs clusterArn/],
    ['certyo:mongodb.documentdb', [{ ...CLUSTER, subnetIds: [] }], /item 0 needs subnetIds/],
    ['certyo:mongodb.documentdb', [{ ...CLUSTER, secretArn: 'docdb/orders' }], /item 0 needs secretArn/],
    ['certyo:mongodb.documentdb', [CLUSTER, { ...CLUSTER, vpcId: 'vpc-0def1234' }], /every cluster must be in one VPC/],
    ['certyo:mongodb.documentdb', 'not json', /a JSON array of/],
  ])('%s = %j is refused, naming the key', (key, value, message) => {
    expect(problems({ [key]: value })).toMatch(message);
  });

  it('accepts -c JSON text and no collection (whole database)', () => {
    const { collection: _omitted, ...wholeDatabase } = CLUSTER;
    expect(loadConfig(projectContext({ 'certyo:mongodb.documentdb': JSON.stringify([wholeDatabase]) })).mongodb.documentdb[0]?.collection).toBeUndefined();
  });
});
