/**
 * Pushes the current Certyo API key into the EventBridge connection. A connection keeps its own
 * copy of the credential (in a secret EventBridge manages), so rotating or updating the Certyo
 * secret does not reach the API Destination by itself (seed 000 says it does; it does not).
 *
 * The triggering event only says *that* something changed: the key is always read from the
 * configured secret (AWSCURRENT), so a replayed, reordered or unrelated event cannot put a stale
 * or foreign value into the connection, and every run is idempotent.
 *
 * Runs may overlap (no reserved concurrency: a new account cannot grant any), and an older run
 * could write last. So each run reads the secret again after writing and writes again until the
 * connection holds what the secret holds: whichever run writes last has then written the
 * current key.
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

/** Writes per run before giving up: each extra one means the secret changed during the run. */
export const MAX_WRITES = 5;

export async function syncConnectionKey(event: unknown, settings: KeySyncSettings, deps: KeySyncDeps): Promise<{ trigger: string; writes: number }> {
  const trigger = describeTrigger(event);
  let apiKey = await deps.key.refresh();
  for (let writes = 1; ; writes++) {
    try {
      await deps.connections.updateApiKey(settings.connectionName, settings.headerName, apiKey);
    } catch (error) {
      // The error's name and HTTP status only: neither the request (it holds the key) nor the
      // upstream message, which could quote the request's parameters.
      const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
      const cause = error instanceof Error ? `${error.name}${status === undefined ? '' : `, HTTP ${status}`}` : 'unknown error';
      throw new KeySyncError(`UpdateConnection of ${settings.connectionName} failed (${cause})`);
    }
    const current = await deps.key.refresh();
    if (current === apiKey) {
      deps.log.info('connection key synchronised', { connectionName: settings.connectionName, trigger, writes });
      return { trigger, writes };
    }
    if (writes >= MAX_WRITES) {
      throw new KeySyncError(`the Certyo secret changed ${MAX_WRITES} times while ${settings.connectionName} was being updated; EventBridge retries the run`);
    }
    apiKey = current;
  }
}
