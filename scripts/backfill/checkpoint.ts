/**
 * The backfill's checkpoint: per Scan segment, the key to continue from. A segment's key only
 * moves past a Scan page once every item of that page (and of the pages before it) is
 * confirmed by Certyo (accepted, replayed or rejected), so a resumed run re-sends at most the
 * unconfirmed rest of one page per segment, and those are idempotent replays.
 * Keys are kept in the JSON form of attribute values (binary as base64).
 */
import * as fs from 'node:fs';
import { JsonAttributeMap } from '../../lambdas/shared/dynamodb-attributes';

export interface SegmentCheckpoint {
  readonly segment: number;
  /** `ExclusiveStartKey` of the next Scan; absent before the first page. */
  startKey?: JsonAttributeMap;
  done: boolean;
}

export interface Checkpoint {
  readonly version: 1;
  readonly table: string;
  readonly totalSegments: number;
  readonly startedAt: string;
  updatedAt: string;
  completedAt?: string;
  readonly segments: SegmentCheckpoint[];
}

export interface CheckpointStore {
  readonly path: string;
  load(): Checkpoint | undefined;
  save(checkpoint: Checkpoint): void;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export function newCheckpoint(table: string, totalSegments: number, now: Date): Checkpoint {
  return {
    version: 1,
    table,
    totalSegments,
    startedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    segments: Array.from({ length: totalSegments }, (_, segment) => ({ segment, done: false })),
  };
}

/** Written to a temporary file and renamed, so an interrupted write never leaves half a checkpoint. */
export function fileCheckpointStore(path: string): CheckpointStore {
  return {
    path,
    load() {
      if (!fs.existsSync(path)) return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(fs.readFileSync(path, 'utf8'));
      } catch (error) {
        throw new CheckpointError(`checkpoint ${path} is not valid JSON (${(error as Error).message}); delete it to start over`);
      }
      const c = parsed as Partial<Checkpoint>;
      if (c.version !== 1 || typeof c.table !== 'string' || typeof c.totalSegments !== 'number' || !Array.isArray(c.segments) || c.segments.length !== c.totalSegments) {
        throw new CheckpointError(`checkpoint ${path} is not a backfill checkpoint (version 1 with table, totalSegments and one entry per segment); delete it to start over`);
      }
      return c as Checkpoint;
    },
    save(checkpoint) {
      const temporary = `${path}.tmp`;
      fs.writeFileSync(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
      fs.renameSync(temporary, path);
    },
  };
}

/**
 * The checkpoint this run continues (resume) or starts. Refuses to overwrite an earlier run's
 * checkpoint without `--resume`, and to resume with a different table or segment count (a
 * segment's start key only means something with the same `TotalSegments`).
 */
export function openCheckpoint(store: CheckpointStore, options: { table: string; segments?: number; resume: boolean }, now: Date, defaultSegments: number): Checkpoint {
  const existing = store.load();
  if (!options.resume) {
    if (existing) throw new CheckpointError(`checkpoint ${store.path} exists from a run started ${existing.startedAt}: add --resume to continue it, or delete it to start over`);
    return newCheckpoint(options.table, options.segments ?? defaultSegments, now);
  }
  if (!existing) throw new CheckpointError(`--resume: no checkpoint at ${store.path} (pass --checkpoint <file> if it is elsewhere)`);
  if (existing.table !== options.table) throw new CheckpointError(`--resume: checkpoint ${store.path} is for table ${existing.table}, not ${options.table}`);
  if (options.segments !== undefined && existing.totalSegments !== options.segments) {
    throw new CheckpointError(`--resume: checkpoint ${store.path} was made with --segments ${existing.totalSegments}; resume with the same number (or leave --segments out)`);
  }
  return existing;
}
