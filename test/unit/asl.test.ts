import * as fs from 'node:fs';
import aslValidator from 'asl-validator';
import { VERIFICATION_OUTCOME_METRIC } from '../../lambdas/shared/metric-names';
import { renderVerifyRecordDefinition, VERIFY_RECORD_ASL, VerifyRecordSubstitutions } from '../../lib/constructs/verify-record-workflow';

const SUBSTITUTIONS: VerifyRecordSubstitutions = {
  ApiUrl: 'https://www.certyos.com',
  ConnectionArn: 'arn:aws:events:eu-west-1:123456789012:connection/CertyoConnection/0b1c2d3e',
  TopicArn: 'arn:aws:sns:eu-west-1:123456789012:CertyoNotifications',
  DefaultTenantId: 'acme-corp',
  WaitSeconds: '90',
  MaxAttempts: '10',
  PollIntervalSeconds: '30',
  HorizonSeconds: '7200',
  MetricsNamespace: 'Certyo',
};

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[]; JitterStrategy?: string; MaxDelaySeconds?: number }[];
}

const definition = JSON.parse(renderVerifyRecordDefinition(SUBSTITUTIONS)) as { StartAt: string; States: Record<string, State>; QueryLanguage?: string };
const states = Object.entries(definition.States);

function successors(state: State): string[] {
  return [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter((n): n is string => n !== undefined);
}

describe('statemachines/verify-record.asl.json', () => {
  it('is valid Amazon States Language once substituted', () => {
    const { isValid, errorsText } = aslValidator(definition);

    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('uses JSONPath only (aws-local-stepfunctions runs no JSONata)', () => {
    const text = fs.readFileSync(VERIFY_RECORD_ASL, 'utf8');

    expect(definition.QueryLanguage).toBeUndefined();
    expect(text).not.toMatch(/\{%|"Arguments"|"Output"|"Assign"/);
  });

  it('names a placeholder without a value, or a value without a placeholder', () => {
    const { MaxAttempts: _missing, ...withoutMaxAttempts } = SUBSTITUTIONS;

    expect(() => renderVerifyRecordDefinition(withoutMaxAttempts as VerifyRecordSubstitutions)).toThrow(/without a value: \[MaxAttempts\]/);
    expect(() => renderVerifyRecordDefinition({ ...SUBSTITUTIONS, Extra: 'x' } as VerifyRecordSubstitutions)).toThrow(/without a placeholder: \[Extra\]/);
  });

  /** States reachable from the start without passing through `barrier`. */
  function reachable(barrier?: string): Set<string> {
    const reached = new Set<string>();
    const queue = [definition.StartAt];
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (reached.has(name) || name === barrier) continue;
      reached.add(name);
      queue.push(...successors(definition.States[name] as State));
    }
    return reached;
  }

  it('reaches every state from the start, and every path ends in the notification', () => {
    const terminals = states.filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End).map(([n]) => n);

    expect([...reachable()].sort()).toEqual(Object.keys(definition.States).sort());
    expect(terminals.sort()).toEqual(['Anchored', 'NotAnchored', 'WriteBackFailed']);
    // Even the write-back's failure comes after the notification: no end is reachable around Notify.
    expect(terminals.filter((t) => reachable('Notify').has(t))).toEqual([]);
    expect(states.filter(([, s]) => successors(s).some((n) => n === 'Anchored' || n === 'NotAnchored')).map(([n]) => n)).toEqual(['Finished']);
  });

  it('turns every HTTP error into a caught branch, with no Retry: a 429 or 5xx becomes a pause the horizon bounds', () => {
    const httpTasks = states.filter(([, s]) => s.Resource === 'arn:aws:states:::http:invoke');
    const target = (task: State, error: string) => task.Catch?.find((c) => c.ErrorEquals.includes(error))?.Next;

    expect(httpTasks.map(([n]) => n)).toEqual(['Verify', 'CheckSnapshot', 'RetrySnapshot']);
    for (const [, task] of httpTasks) {
      expect(task.Retry).toBeUndefined();
      expect(task.Catch?.some((c) => c.ErrorEquals.includes('States.ALL'))).toBe(true);
    }
    for (const name of ['Verify', 'RetrySnapshot']) {
      const task = definition.States[name] as State;
      expect([target(task, 'States.Http.StatusCode.429'), target(task, 'States.Http.StatusCode.503'), target(task, 'States.Http.Socket')]).toEqual(['RateLimited', 'Unavailable', 'Unavailable']);
    }
  });

  it('waits in one Wait state only, entered after the horizon check (or as the first, anchoring wait)', () => {
    const waits = states.filter(([, s]) => s.Type === 'Wait').map(([n]) => n);
    const into = states.filter(([, s]) => successors(s).includes('Pause')).map(([n]) => n);

    expect(waits).toEqual(['Pause']);
    expect(into.sort()).toEqual(['CheckHorizon', 'ShapeRequest', 'WithRecordVersion']);
  });

  it('emits the outcome metric the monitoring alarms on, for every outcome it can mark', () => {
    const record = definition.States.RecordOutcome as State & { Parameters: { Namespace: string; MetricData: { MetricName: string; Dimensions: { Name: string; Value?: string; 'Value.$'?: string }[] }[] } };
    const marked = new Set(states.flatMap(([, s]) => (s as { Parameters?: { status?: string } }).Parameters?.status ?? []));

    expect(record.Parameters.Namespace).toBe('Certyo');
    expect(record.Parameters.MetricData).toEqual([
      expect.objectContaining({
        MetricName: VERIFICATION_OUTCOME_METRIC.name,
        Dimensions: [
          { Name: 'Path', Value: 'verify' },
          { Name: VERIFICATION_OUTCOME_METRIC.dimension, 'Value.$': '$.outcome.status' },
        ],
      }),
    ]);
    expect([...marked].sort()).toEqual([...VERIFICATION_OUTCOME_METRIC.outcomes].sort());
  });

  it('gives every Choice a Default, so an unexpected answer never stops the execution', () => {
    expect(states.filter(([, s]) => s.Type === 'Choice' && s.Default === undefined).map(([n]) => n)).toEqual([]);
  });
});
