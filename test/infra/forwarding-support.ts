/** Shared by the forwarding infra tests: a small stack for construct-level tests, and template readers. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Authorization, Connection, EventBus, IRuleTarget } from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { CertyoConfig, loadConfig } from '../../lib/config';
import { OperationsTopic } from '../../lib/constructs/operations-topic';
import { IVerificationTarget } from '../../lib/constructs/verification-target';
import { NagFinding, projectContext } from '../helpers/synth';

export type Resource = { Type: string; Properties: Record<string, unknown> };
export type Resources = Record<string, Resource>;

export function resources(template: Template): Resources {
  return (template.toJSON() as { Resources: Resources }).Resources;
}

export function ofType(template: Template, type: string, idPattern: RegExp = /.*/): [string, Resource][] {
  return Object.entries(resources(template)).filter(([id, r]) => r.Type === type && idPattern.test(id));
}

/** The one resource of `type` whose logical id matches `idPattern`. */
export function single(template: Template, type: string, idPattern: RegExp): [string, Resource] {
  const found = ofType(template, type, idPattern);
  if (found.length !== 1) throw new Error(`expected one ${type} matching ${idPattern}, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0] as [string, Resource];
}

/** cdk-nag findings on constructs of this issue (forwarding and the connection). */
export function forwardingFindings(findings: readonly NagFinding[]): NagFinding[] {
  return findings.filter((f) => f.paths.some((p) => /\/(DirectForwarding|BatchedForwarding|CertyoConnection)\//.test(p)));
}

/** Every file of a cloud assembly, as text. */
export function assemblyText(outdir: string): string {
  return fs
    .readdirSync(outdir)
    .filter((file) => fs.statSync(path.join(outdir, file)).isFile())
    .map((file) => fs.readFileSync(path.join(outdir, file), 'utf8'))
    .join('\n');
}

export function fixtureEvent(name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'eventbridge', name), 'utf8')) as ReturnType<typeof fixtureEvent>;
}

/** Records what the forwarding constructs ask of the verification workflow. */
export class FakeVerification implements IVerificationTarget {
  readonly granted: IFunction[] = [];
  readonly queue: Queue;

  constructor(stack: Stack) {
    this.queue = new Queue(stack, 'FakeVerificationQueue');
  }

  grantStartTo(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.granted.push(fn);
    fn.addEnvironment('VERIFY_STATE_MACHINE_ARN', 'arn:aws:states:eu-west-1:123456789012:stateMachine:fake');
  }

  ruleTarget(): IRuleTarget {
    return new targets.SqsQueue(this.queue);
  }
}

export interface TestStack {
  readonly stack: Stack;
  readonly config: CertyoConfig;
  readonly bus: EventBus;
  readonly connection: Connection;
  readonly operations: OperationsTopic;
  readonly secret: ReturnType<typeof Secret.fromSecretNameV2>;
}

/** A stack with what the forwarding constructs need, configured like the app (plus overrides). */
export function testStack(overrides: Record<string, unknown> = {}): TestStack {
  const app = new App({ context: { ...projectContext(overrides), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const config = loadConfig(app.node.getAllContext());
  return {
    stack,
    config,
    bus: new EventBus(stack, 'Bus', { eventBusName: config.busName }),
    connection: new Connection(stack, 'Connection', { authorization: Authorization.apiKey('X-API-Key', SecretValue.secretsManager(config.secretName, { jsonField: 'apiKey' })) }),
    operations: new OperationsTopic(stack, 'Operations'),
    secret: Secret.fromSecretNameV2(stack, 'Secret', config.secretName),
  };
}
