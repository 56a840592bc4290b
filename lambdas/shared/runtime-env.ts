/**
 * The runtime contract of every Lambda (architecture.md, "Conventions"): the same bundle runs in
 * AWS, in tests and locally. A missing or malformed variable fails the cold start with a
 * message naming it.
 */
export interface CertyoRuntimeEnv {
  /** Origin of the Certyo API, e.g. https://www.certyos.com. */
  readonly apiUrl: string;
  readonly tenantId: string;
  /** ARN or name of the JSON secret `{"apiKey": "..."}`. */
  readonly secretId: string;
}

export class EnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentError';
  }
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name]?.trim();
  if (!value) throw new EnvironmentError(`Environment variable ${name} is not set`);
  return value;
}

export function readRuntimeEnv(env: NodeJS.ProcessEnv = process.env): CertyoRuntimeEnv {
  const apiUrl = env.CERTYO_API_URL?.trim() || 'https://www.certyos.com';
  let origin: string;
  try {
    const url = new URL(apiUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
    origin = url.origin;
  } catch {
    throw new EnvironmentError(`Environment variable CERTYO_API_URL = "${apiUrl}" is not an http(s) URL`);
  }
  return { apiUrl: origin, tenantId: requireEnv('CERTYO_TENANT_ID', env), secretId: requireEnv('CERTYO_SECRET_ARN', env) };
}
