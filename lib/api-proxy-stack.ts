import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { EventBus, IEventBus } from 'aws-cdk-lib/aws-events';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CertyoConfig } from './config';
import { CertyoApiProxy, CONSUMER_KEY_HEADER } from './constructs/api-proxy';
import { WebhookIntake } from './constructs/webhook-intake';

export interface CertyoApiProxyStackProps extends StackProps {
  readonly config: CertyoConfig;
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
