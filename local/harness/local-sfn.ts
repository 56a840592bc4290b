/**
 * A stand-in for Step Functions behind the real verification starter
 * (`lambdas/shared/verification-starter.ts`): `StartExecution` is recorded (a repeated name is
 * `ExecutionAlreadyExists`, as Step Functions answers within 90 days), and the recorded
 * executions run the real `statemachines/verify-record.asl.json` in aws-local-stepfunctions
 * against the sandbox, through the workflow tests' runner (HTTP Task + SNS publish handlers).
 */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { forEachBounded } from '../../lambdas/shared/for-each-bounded';
import { sleep } from '../../lambdas/shared/retry';
import { Notification, runWorkflow, WorkflowRun } from './local-workflow';

export interface ExecutionRun {
  readonly name: string;
  readonly run: WorkflowRun;
}

export interface RunExecutionsOptions {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly tenantId: string;
  /**
   * The runner shortens every Wait to a millisecond; a verify answer of "not anchored yet" is
   * followed by this pause instead, standing in for the workflow's Backoff wait. @default 500
   */
  readonly pendingPauseMs?: number;
  /** `certyo:verify.maxAttempts`. @default 10 */
  readonly maxAttempts?: number;
  /** Executions in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Called with each SNS notification as it is published. */
  readonly onNotification?: (notification: Notification) => void;
}

export class LocalStepFunctions {
  private readonly started = new Map<string, string>();
  private readonly done = new Set<string>();
  /** StartExecution calls, duplicates included. */
  startCalls = 0;

  /** The client the verification starter is given (`Pick<SFNClient, 'send'>`). */
  get client(): Pick<SFNClient, 'send'> {
    // The starter only sends StartExecutionCommand; this is the one SDK command handled here.
    return { send: (command: StartExecutionCommand) => this.start(command) } as unknown as Pick<SFNClient, 'send'>;
  }

  get executions(): number {
    return this.started.size;
  }

  private async start(command: StartExecutionCommand): Promise<{ executionArn: string; startDate: Date }> {
    if (!(command instanceof StartExecutionCommand)) throw new Error('LocalStepFunctions handles StartExecutionCommand only');
    const { name, input } = command.input;
    this.startCalls++;
    if (!name || input === undefined) throw new Error('StartExecution without a name or an input');
    if (this.started.has(name)) throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${name}'`, $metadata: {} });
    this.started.set(name, input);
    return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:VerifyRecord:${name}`, startDate: new Date() };
  }

  /** Runs every execution started and not yet run. */
  async runPending(options: RunExecutionsOptions): Promise<ExecutionRun[]> {
    const pending = [...this.started].filter(([name]) => !this.done.has(name));
    const runs: ExecutionRun[] = [];
    const pause = options.pendingPauseMs ?? 500;
    await forEachBounded(pending, options.concurrency ?? 8, async ([name, input]) => {
      this.done.add(name);
      const run = await runWorkflow(JSON.parse(input) as unknown, {
        apiUrl: options.apiUrl,
        apiKey: options.apiKey,
        tenantId: options.tenantId,
        maxAttempts: options.maxAttempts ?? 10,
        afterCall: async (_index, request, response) => {
          const anchored = (response.body as { verified?: unknown } | undefined)?.verified === true;
          if (request.url.endsWith('/api/v1/verify/record') && !anchored) await sleep(pause);
        },
      });
      // An execution publishes once, as its last step: reporting at its end is reporting as it happens.
      for (const notification of run.notifications) options.onNotification?.(notification);
      runs.push({ name, run });
    });
    return runs;
  }
}
