import { Acknowledgment, Duration, Validations } from 'aws-cdk-lib';
import { ISecurityGroup, ISubnet, IVpc } from 'aws-cdk-lib/aws-ec2';
import { Architecture, Function as LambdaFunction, LoggingFormat, Runtime, Tracing, ApplicationLogLevel, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { Effect, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { awsManagedPolicyFinding } from '../nag';
import { lambdaCode } from '../bundling';
import { budgetPolicy, CertyoConfig } from '../config';
import { RateBudgetTable } from './rate-budget-table';
import { MAX_BODY_BYTES_ENV } from '../../lambdas/shared/certyo-types';

/**
 * V8 heap limits for a function of `memorySize` MB, passed as `NODE_OPTIONS` so the heap is
 * sized for the function, not for the machine. Without them V8 lets the heap grow towards the
 * machine's memory before collecting (a 16 MB+ young generation, an old space bounded only by
 * the host), which is where most of the S3 path's 185–242 MB peak went while its live data
 * stayed under 45 MB (docs/performance.md). Young generation (semi-space) 1/128 of the memory,
 * 1 to 16 MB; old space half the memory less 64 MB, at least 64 MB: the other half is for Node
 * itself, code, and Buffers outside the heap (records and request bodies).
 */
export function heapOptions(memorySize: number): string {
  const semiSpace = Math.min(16, Math.max(1, Math.floor(memorySize / 128)));
  const oldSpace = Math.max(64, Math.floor(memorySize / 2) - 64);
  return `--max-semi-space-size=${semiSpace} --max-old-space-size=${oldSpace}`;
}

/**
 * Functions a caller waits on (API Gateway): their start-up and CPU time are on someone's request
 * path, so they keep at least `SYNCHRONOUS_MEMORY_FLOOR_MB` (docs/performance.md, "Memory sizes").
 */
export const SYNCHRONOUS_LAMBDAS: readonly string[] = ['proxy-authorizer', 'proxy-tenant-guard', 'webhook-intake'];
/**
 * Lambda's CPU share is proportional to memory: at 128 MB a cold start's CPU-bound
 * initialisation could take twice as long as at 256 MB, for under $0.02 more per million
 * invocations of these short functions (docs/performance.md).
 */
export const SYNCHRONOUS_MEMORY_FLOOR_MB = 256;

/**
 * The memory size the project's rule gives function `lambdaName` (its folder under `lambdas/`)
 * whose measured peak RSS is `peakRssMb`: the smallest multiple of 128 MB that is at least twice
 * the peak (headroom for records up to the 1 MiB limit and two request bodies in flight), at
 * least Lambda's 128 MB, and at least `SYNCHRONOUS_MEMORY_FLOOR_MB` for a function a caller waits
 * on. Every function's default follows it from `bench/results.json` (`lambdaMemory`,
 * `s3.memory`), which `test/infra/memory-sizes.test.ts` checks.
 */
export function memorySizeFor(lambdaName: string, peakRssMb: number): number {
  if (!Number.isFinite(peakRssMb) || peakRssMb <= 0) throw new Error(`memorySizeFor(${lambdaName}): peakRssMb must be a positive number of MB, got ${peakRssMb}`);
  const floor = SYNCHRONOUS_LAMBDAS.includes(lambdaName) ? SYNCHRONOUS_MEMORY_FLOOR_MB : 128;
  return Math.max(floor, Math.ceil((2 * peakRssMb) / 128) * 128);
}

export interface CertyoFunctionProps {
  /** Folder under `lambdas/` holding `handler.ts`, e.g. `s3-ingest`. */
  readonly lambdaName: string;
  readonly config: CertyoConfig;
  /**
   * The Certyo API-key secret. When given, the function may read it (that secret only) and
   * gets `CERTYO_SECRET_ARN`.
   * @default - the function cannot read the Certyo key
   */
  readonly apiKeySecret?: ISecret;
  /**
   * The key's shared rate budget: the function gets `CERTYO_BUDGET_TABLE` and may read and
   * compare-and-set its record, so its Certyo client spends the key's budget with the others.
   * @default - the function's client sees only its own responses
   */
  readonly rateBudget?: RateBudgetTable;
  /** @default - none beyond the Certyo runtime contract */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default - none */
  readonly description?: string;
  /**
   * Runs the function in these subnets of a VPC, with these security groups (e.g. to reach a
   * DocumentDB cluster). The subnets need a route to Certyo and to the AWS APIs the function calls.
   * @default - not in a VPC
   */
  readonly network?: { readonly vpc: IVpc; readonly subnets: readonly ISubnet[]; readonly securityGroups: readonly ISecurityGroup[] };
}

/**
 * `secretsmanager:GetSecretValue` on `secret` only: the one call the shared key loader makes
 * (`lambdas/shared/api-key.ts`). Not `ISecret.grantRead`, which adds `DescribeSecret`, unused here.
 * A secret imported by name is matched with Secrets Manager's six-character suffix, as CDK does.
 */
export function grantGetSecretValue(fn: LambdaFunction, secret: ISecret): void {
  fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`] }));
  secret.encryptionKey?.grantDecrypt(fn);
}

/**
 * A Lambda with the project's defaults in one place: the newest Node.js runtime aws-cdk-lib
 * offers, the configured architecture (ARM64 by default), the shared esbuild definition
 * (`lib/bundling.ts`: ES modules split so a cold start loads only what it uses, minified, SDK
 * bundled, no source map), JSON logs into a log group with retention, and
 * X-Ray tracing. It receives the Certyo runtime contract (`CERTYO_API_URL`,
 * `CERTYO_TENANT_ID`, `CERTYO_SECRET_ARN`, `CERTYO_MAX_BODY_BYTES`).
 */
export class CertyoFunction extends LambdaFunction {
  /**
   * The execution role: a sibling of the function (`<id>ServiceRole`), since it exists before the
   * function. Acknowledge findings on its policies with `acknowledgePolicyFindings`.
   */
  public readonly serviceRole: Role;

  constructor(scope: Construct, id: string, props: CertyoFunctionProps) {
    const timeout = props.timeout ?? Duration.seconds(60);
    const memorySize = props.memorySize ?? 512;
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) {
      throw new Error(`CertyoFunction ${id}: timeout must be from 1 to 900 seconds, got ${timeout.toSeconds()}`);
    }
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.config.logRetentionDays as RetentionDays,
    });
    // Logs on its own log group only, instead of AWSLambdaBasicExecutionRole (logs on "*").
    const role = new Role(scope, `${id}ServiceRole`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    super(scope, id, {
      role,
      code: lambdaCode(props.lambdaName),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: props.config.lambdaArchitecture === 'arm64' ? Architecture.ARM_64 : Architecture.X86_64,
      timeout,
      memorySize,
      description: props.description,
      ...(props.network
        ? { vpc: props.network.vpc, vpcSubnets: { subnets: [...props.network.subnets] }, securityGroups: [...props.network.securityGroups], allowPublicSubnet: false }
        : {}),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      logGroup,
      environment: {
        NODE_OPTIONS: heapOptions(memorySize),
        CERTYO_API_URL: props.config.apiUrl,
        CERTYO_TENANT_ID: props.config.tenantId,
        [MAX_BODY_BYTES_ENV]: String(props.config.bulkMaxBodyBytes),
        POWERTOOLS_SERVICE_NAME: props.lambdaName,
        POWERTOOLS_METRICS_NAMESPACE: props.config.metricsNamespace,
        ...(props.apiKeySecret ? { CERTYO_SECRET_ARN: props.apiKeySecret.secretName } : {}),
        ...(props.rateBudget ? { CERTYO_BUDGET_TABLE: props.rateBudget.table.tableName, CERTYO_BUDGET_POLICY: JSON.stringify(budgetPolicy(props.config)) } : {}),
        ...props.environment,
      },
    });
    this.serviceRole = role;
    if (props.apiKeySecret) grantGetSecretValue(this, props.apiKeySecret);
    props.rateBudget?.grantUse(this);

    if (props.network) {
      // A given role does not get the VPC policy from the function: the ENIs need it.
      role.addManagedPolicy(ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
      Validations.of(role).acknowledge({
        id: awsManagedPolicyFinding('service-role/AWSLambdaVPCAccessExecutionRole'),
        reason: 'AWSLambdaVPCAccessExecutionRole only allows managing the network interfaces a function in a VPC needs (and logs); EC2 network-interface actions take no resource-level scoping at creation.',
      });
    }
    this.acknowledgePolicyFindings({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions; CDK adds them for active tracing.',
    });
  }

  /** Acknowledges cdk-nag findings on the execution role's policies (which live outside the function's own subtree). */
  acknowledgePolicyFindings(...rules: Acknowledgment[]): void {
    Validations.of(this.serviceRole).acknowledge(...rules);
  }
}
