import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A stack's partition, region and account as cdk-nag writes them in finding ids: a pseudo
 * parameter while the stack is environment-agnostic (`<AWS::Region>`), the literal value once
 * `cdk synth` knows it (the CLI sets CDK_DEFAULT_REGION from the user's profile). An
 * acknowledgement built with these matches in both cases.
 */
export function nagEnvironment(scope: IConstruct): { partition: string; region: string; account: string } {
  const stack = Stack.of(scope);
  const render = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  return {
    partition: render(stack.partition, 'Partition'),
    region: render(stack.region, 'Region'),
    account: render(stack.account, 'AccountId'),
  };
}

/**
 * The cdk-nag finding id of an AWS-managed policy attached to a role, e.g.
 * `service-role/AWSLambdaBasicExecutionRole`. `ManagedPolicy.fromAwsManagedPolicyName` always
 * builds the ARN with the `AWS::Partition` pseudo parameter, even when the stack's partition is
 * known, so cdk-nag always writes `<AWS::Partition>` here (unlike `nagEnvironment`).
 */
export function awsManagedPolicyFinding(policyName: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyName}]`;
}
