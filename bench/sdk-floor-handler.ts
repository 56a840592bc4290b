/**
 * The cold-start figure's floor: the least any Lambda of this project loads. Every function
 * reads the Certyo key or calls AWS through at least one bundled SDK client and logs with
 * Powertools, so this constructs one client (Secrets Manager, which every function that calls
 * Certyo uses) and one logger and does nothing else. Built with the deployed bundling options
 * (`coldStartFloor` in `cold-start.ts`); never deployed.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';

const secrets = new SecretsManagerClient({});
const log = new Logger({ serviceName: 'sdk-floor' });

export async function handler(): Promise<string | undefined> {
  log.debug('floor');
  return secrets.config.serviceId;
}
