import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { EventBus, IEventBus } from 'aws-cdk-lib/aws-events';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CertyoConfig } from './config';
import { CertyoApiProxy, CONSUMER_KEY_HEADER } from './constructs/api-proxy';
import { alarmOnFunctionErrors, operationsTopicName } from './constructs/operations-topic';
import { WebhookIntake } from './constructs/webhook-intake';

export interface CertyoApiProxyStackProps extends StackProps {
  readonly config: CertyoConfig;
  /**
   * Name of the pipeline stack, whose operations topic receives this stack's alarms (the
   * authorizer's and the webhook's errors), addressed by ARN: no cross-stack export.
   * @default - no alarms in this stack
   */
  readonly pipelineStackName?: string;
}

/**
 * The governed way for internal teams to call Certyo: consumers use their own API Gateway keys,
 * only the gateway holds the Certyo key. Composes constructs only.
 */
export class CertyoApiProxyStack extends Stack {
  /** The Certyo API key, imported by name: the stack never holds or creates its value. */
  public readonly apiKeySecret: ISecret;
  /** The pipeline's `domain-events` bus, imported by name (no cross-stack export to pin it). */
  public readonly bus: IEventBus;
  public readonly proxy: CertyoApiProxy;
  public readonly webhooks: WebhookIntake;

  constructor(scope: Construct, id: string, props: CertyoApiProxyStackProps) {
    super(scope, id, props);
    this.apiKeySecret = Secret.fromSecretNameV2(this, 'CertyoApiKey', props.config.secretName);
    this.bus = EventBus.fromEventBusName(this, 'DomainEvents', props.config.busName);
    this.proxy = new CertyoApiProxy(this, 'Proxy', { config: props.config, apiKeySecret: this.apiKeySecret });
    this.webhooks = new WebhookIntake(this, 'Webhooks', {
      config: props.config,
      api: this.proxy.api,
      bus: this.bus,
      requestValidator: this.proxy.requestValidator,
    });

    if (props.pipelineStackName) {
      const operations = Topic.fromTopicArn(
        this,
        'Operations',
        props.config.alarmTopicArn ?? this.formatArn({ service: 'sns', resource: operationsTopicName(props.pipelineStackName) }),
      );
      alarmOnFunctionErrors(this, 'AuthorizerErrors', this.proxy.authorizerFunction, operations,
        'The proxy authorizer failed: consumers get 500s. Usually it cannot read the Certyo secret or a consumer key; read its log group.');
      alarmOnFunctionErrors(this, 'TenantGuardErrors', this.proxy.tenantGuardFunction, operations,
        'The proxy tenant guard failed: consumers writing records get 5xx. Usually it cannot read the Certyo secret; read its log group.');
      alarmOnFunctionErrors(this, 'WebhookErrors', this.webhooks.function, operations,
        'The webhook intake failed: senders get 5xx and retry. Usually PutEvents or the delivery table failed; read its log group.');
    }

    new CfnOutput(this, 'ProxyUrl', { value: this.proxy.url, description: `Call Certyo's /api/v1 routes below this URL with your key in ${CONSUMER_KEY_HEADER}` });
    new CfnOutput(this, 'WebhookUrl', {
      value: `${this.proxy.url}webhooks/{source}`,
      description: 'POST signed webhooks here; source {source} is verified with the secret certyo/webhooks/{source}',
    });
    for (const consumer of this.proxy.consumers) {
      new CfnOutput(this, `ConsumerKeyId${consumer.config.name}`, {
        value: consumer.apiKey.keyId,
        description: `API key id of consumer ${consumer.config.name}; its value: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }
  }
}
