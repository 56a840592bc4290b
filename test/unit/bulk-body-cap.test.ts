/**
 * One body cap for every bulk path: `certyo:bulkMaxBodyBytes` reaches each function that sends
 * bulk requests, and the client built from the environment packs to it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { certyoClientFromEnv, maxBodyBytesFromEnv } from '../../lambdas/shared/certyo-client';
import { CertyoRecord, DEFAULT_MAX_BODY_BYTES } from '../../lambdas/shared/certyo-types';
import { resourcesOfType, synthesizeTemplates } from '../../local/harness/synthesized';
import { startSandbox } from '../../local/sandbox';

const BULK_SENDERS = ['s3-ingest', 'ddb-ingest', 'forwarder'];

function record(i: number, padBytes: number): CertyoRecord {
  return { tenantId: 'acme-corp', database: 'db', collection: 'c', recordId: `r-${i}`, recordVersion: '1', operationType: 'upsert', sourceTimestamp: '2026-04-13T10:30:00Z', idempotencyKey: `k-${i}`, recordPayload: { pad: 'x'.repeat(padBytes) } };
}

describe('certyo:bulkMaxBodyBytes', () => {
  it('is set on every function that sends bulk requests', () => {
    const templates = synthesizeTemplates({ 'certyo:forwardingMode': 'batched', 'certyo:bulkMaxBodyBytes': 1_048_576 });
    const caps = Object.fromEntries(
      resourcesOfType(templates, 'AWS::Lambda::Function').map((fn) => {
        const vars = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        return [vars.POWERTOOLS_SERVICE_NAME, vars.CERTYO_MAX_BODY_BYTES];
      }),
    );
    for (const name of BULK_SENDERS) expect([name, caps[name]]).toEqual([name, '1048576']);
  });

  it('defaults to 32 MiB and names the variable when it is not a byte count in range', () => {
    expect(maxBodyBytesFromEnv({})).toBe(DEFAULT_MAX_BODY_BYTES);
    expect(DEFAULT_MAX_BODY_BYTES).toBe(32 * 1024 * 1024);
    expect(maxBodyBytesFromEnv({ CERTYO_MAX_BODY_BYTES: ' 65536 ' })).toBe(65536);
    expect(() => maxBodyBytesFromEnv({ CERTYO_MAX_BODY_BYTES: '4MB' })).toThrow('Environment variable CERTYO_MAX_BODY_BYTES = "4MB" is not a byte count from 65536 to 268435456');
    expect(() => maxBodyBytesFromEnv({ CERTYO_MAX_BODY_BYTES: '1000' })).toThrow(/CERTYO_MAX_BODY_BYTES = "1000"/);
  });

  it('caps the bodies of the client built from the environment', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"apiKey":"env-key"}' });
    const sandbox = await startSandbox({ apiKeys: ['env-key'] });
    try {
      const env = { CERTYO_API_URL: sandbox.url, CERTYO_TENANT_ID: 'acme-corp', CERTYO_SECRET_ARN: 'certyo/api-key' };
      // 30 records of ~16 KiB: one request by default, eight under a 64 KiB cap.
      const records = Array.from({ length: 30 }, (_, i) => record(i, 16_000));

      const wide = await certyoClientFromEnv(env).ingestMany(records);
      const narrow = await certyoClientFromEnv({ ...env, CERTYO_MAX_BODY_BYTES: '65536' }).ingestMany(records.map((r) => ({ ...r, idempotencyKey: `n-${r.recordId}` })));

      expect([wide.requests, wide.accepted.length]).toEqual([1, 30]);
      expect([narrow.requests, narrow.accepted.length]).toEqual([8, 30]);
    } finally {
      await sandbox.close();
      secrets.restore();
    }
  });
});
