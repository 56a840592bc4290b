/**
 * Pushes the current Certyo API key into the EventBridge connection. A connection keeps its own
 * copy of the credential (in a secret EventBridge manages), so rotating or updating the Certyo
 * secret does not reach the API Destination by itself (seed 000 says it does; it does not).
 *
 * The triggering event only says *that* something changed: the key is always read from the
 * configured secret (AWSCURRENT), so a replayed, reordered or unrelated event cannot put a stale
 * or foreign value into the connection, and every run is idempotent.
 */

/** What reads the key. `refresh()` skips any cache: a sync must see the value just written. */
export interface KeySource {
  refresh(): Promise<string>;
}

export interface ConnectionUpdater {
  /** Sets the API-key header value of the connection (`UpdateConnection`). */
  updateApiKey(connectionName: string, headerName: string, apiKey: string): Promise<void>;
}

export interface SyncLog {
  info(message: string, attributes: Record<string, unknown>): void;
}

export interface KeySyncSettings {
  readonly connectionName: string;
  readonly headerName: string;
}

export interface KeySyncDeps {
  readonly key: KeySource;
  readonly connections: ConnectionUpdater;
  readonly log: SyncLog;
}

/** Thrown when the connection could not be updated; never carries the key. */
export class KeySyncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeySyncError';
  }
}

/** The part of an EventBridge event worth logging: which API call (or the schedule) triggered us. */
export function describeTrigger(event: unknown): string {
  const e = (event ?? {}) as { 'detail-type'?: unknown; detail?: { eventName?: unknown } };
  const eventName = e.detail?.eventName;
  if (typeof eventName === 'string') return eventName;
  return typeof e['detail-type'] === 'string' ? e['detail-type'] : 'unknown';
}

export async function syncConnectionKey(event: unknown, settings: KeySyncSettings, deps: KeySyncDeps): Promise<{ trigger: string }> {
  const trigger = describeTrigger(event);
  const apiKey = await deps.key.refresh();
  try {
    await deps.connections.updateApiKey(settings.connectionName, settings.headerName, apiKey);
  } catch (error) {
    // The error's name and HTTP status only: neither the request (it holds the key) nor the
    // upstream message, which could quote the request's parameters.
    const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    const cause = error instanceof Error ? `${error.name}${status === undefined ? '' : `, HTTP ${status}`}` : 'unknown error';
    throw new KeySyncError(`UpdateConnection of ${settings.connectionName} failed (${cause})`);
  }
  deps.log.info('connection key synchronised', { connectionName: settings.connectionName, trigger });
  return { trigger };
}
