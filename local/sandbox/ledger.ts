/**
 * The sandbox's domain core, without HTTP: stored records, idempotency, per-tenant accumulation
 * into snapshots, the anchoring state machine and verification. Mirrors the API reference's
 * "Core Workflow": ingest → accumulate (N records or T ms) → snapshot → Merkle tree + anchor
 * after a delay → verify against the root.
 */
import { payloadHash, sha256Hex } from './canonical-json';
import { JsonValue } from './lossless-json';
import { buildMerkleTree, MerkleTree } from './merkle';
import { LIFECYCLE_INGESTED, REASON_CATEGORY, SandboxSnapshotStatus, SNAPSHOT_STATUS, VERIFICATION_STATUS } from './vocabulary';

/** A record that passed validation (see `validation.ts`). */
export interface RecordInput {
  readonly tenantId: string;
  readonly clientId?: string;
  readonly database: string;
  readonly collection: string;
  readonly recordId: string;
  readonly recordVersion?: string;
  readonly recordPayload: JsonValue;
  readonly sourceTimestamp?: string;
  readonly operationType: string;
  readonly idempotencyKey?: string;
}

export interface IngestResultBody {
  readonly recordId: string;
  readonly recordHash: string;
  readonly tenantId: string;
  readonly acceptedAt: string;
  readonly idempotencyReplayed: boolean;
}

/** The payload itself is not kept: its hash is all verification needs, and a long local run stays small. */
interface StoredRecord extends Omit<RecordInput, 'recordPayload'> {
  /** Bare hex; formatted per `recordHashFormat` on the way out. */
  readonly hash: string;
  readonly acceptedAt: string;
  snapshotId?: string;
}

interface Snapshot {
  readonly snapshotId: string;
  readonly tenantId: string;
  readonly records: readonly StoredRecord[];
  readonly snapshotHash: string;
  status: SandboxSnapshotStatus;
  readonly timeline: { status: string; at: string }[];
  attempts: number;
  batchId?: string;
  merkleRoot?: string;
  tree?: MerkleTree;
  anchorTimestamp?: string;
  transactionHash?: string;
  ipfsCid?: string;
  timers: NodeJS.Timeout[];
}

export interface LedgerSettings {
  readonly flushRecords: number;
  readonly flushMs: number;
  readonly anchorDelayMs: number;
  readonly failRate: number;
  readonly retryFailRate: number;
  readonly anchorFailedShape: 'pending' | 'fail';
  readonly recordHashFormat: 'hex' | 'prefixed';
  /** [0, 1), seeded: decides which snapshots fail. */
  readonly random: () => number;
  readonly now: () => number;
}

export interface LedgerCounters {
  idempotentReplays: number;
  duplicateIngests: number;
  replayMismatches: number;
}

/** An HTTP-shaped result, so the ledger decides 404/409 without knowing about HTTP. */
export type LedgerAnswer = { readonly status: 200 | 202; readonly body: unknown } | { readonly status: 404 | 409; readonly message: string };

export interface VerifyInput {
  readonly collection: string;
  readonly recordId: string;
  readonly tenantId?: string;
  readonly database?: string;
  readonly recordVersion?: string;
  readonly payload?: JsonValue;
  readonly batchId?: string;
}

const CHAIN_ID = 137;
const CONTRACT_ADDRESS = '0xeeCD2FAD7841E113BCeEB39c704c78B91E35D6f2';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A CID-looking string (`bafkrei` + base32 of the hash); not a real CID, never fetched. */
function fakeCid(hexHash: string): string {
  let bits = '';
  for (const byte of Buffer.from(hexHash, 'hex')) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += BASE32[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return `bafkrei${out}`;
}

const pad = (n: number): string => String(n).padStart(6, '0');
const recordLookupKey = (collection: string, recordId: string): string => `${collection}\u0000${recordId}`;

export class Ledger {
  private records: StoredRecord[] = [];
  /** Versions of a record in ingest order, by collection and recordId (what verify looks up). */
  private byRecord = new Map<string, StoredRecord[]>();
  private idempotency = new Map<string, { readonly result: IngestResultBody; readonly version: string }>();
  private versions = new Set<string>();
  private pending = new Map<string, { records: StoredRecord[]; timer?: NodeJS.Timeout }>();
  private snapshots = new Map<string, Snapshot>();
  private history: Record<string, unknown>[] = [];
  private sequence = { snapshot: 0, batch: 0, verification: 0 };
  readonly counters: LedgerCounters = { idempotentReplays: 0, duplicateIngests: 0, replayMismatches: 0 };

  constructor(private readonly settings: LedgerSettings) {}

  private iso(): string {
    return new Date(this.settings.now()).toISOString();
  }

  private formatHash(hex: string): string {
    return this.settings.recordHashFormat === 'prefixed' ? `sha256:${hex}` : hex;
  }

  /** Stores a record, or replays the original result of its idempotency key (per tenant). */
  ingest(input: RecordInput): IngestResultBody {
    const idempotencyId = input.idempotencyKey === undefined ? undefined : `${input.tenantId}\u0000${input.idempotencyKey}`;
    const original = idempotencyId === undefined ? undefined : this.idempotency.get(idempotencyId);
    const hash = payloadHash(input.recordPayload);
    const version = [input.tenantId, input.database, input.collection, input.recordId, input.recordVersion ?? '', hash].join('\u0000');
    if (original) {
      this.counters.idempotentReplays += 1;
      // A replay of something else under the same key: the record sent now is never stored.
      if (original.version !== version) this.counters.replayMismatches += 1;
      return { ...original.result, idempotencyReplayed: true };
    }
    // The same version of a record stored twice: what deterministic idempotency keys prevent.
    if (this.versions.has(version)) this.counters.duplicateIngests += 1;
    this.versions.add(version);
    const { recordPayload: _hashed, ...fields } = input;
    const stored: StoredRecord = { ...fields, hash, acceptedAt: this.iso() };
    this.records.push(stored);
    const lookup = recordLookupKey(input.collection, input.recordId);
    const versions = this.byRecord.get(lookup);
    if (versions) versions.push(stored);
    else this.byRecord.set(lookup, [stored]);
    const result: IngestResultBody = {
      recordId: input.recordId,
      recordHash: this.formatHash(hash),
      tenantId: input.tenantId,
      acceptedAt: stored.acceptedAt,
      idempotencyReplayed: false,
    };
    if (idempotencyId !== undefined) this.idempotency.set(idempotencyId, { result, version });
    this.accumulate(stored);
    return result;
  }

  private accumulate(record: StoredRecord): void {
    let bucket = this.pending.get(record.tenantId);
    if (!bucket) {
      bucket = { records: [] };
      this.pending.set(record.tenantId, bucket);
      bucket.timer = setTimeout(() => this.flushTenant(record.tenantId), this.settings.flushMs);
    }
    bucket.records.push(record);
    if (bucket.records.length >= this.settings.flushRecords) this.flushTenant(record.tenantId);
  }

  private flushTenant(tenantId: string): void {
    const bucket = this.pending.get(tenantId);
    if (!bucket) return;
    clearTimeout(bucket.timer);
    this.pending.delete(tenantId);
    this.sequence.snapshot += 1;
    const snapshotId = `snap_${pad(this.sequence.snapshot)}`;
    const firstAt = bucket.records[0]?.acceptedAt ?? this.iso();
    // Documented only as "SHA-256 hash of the snapshot": here, of its record hashes, one per line.
    const snapshotHash = sha256Hex(bucket.records.map((r) => r.hash).join('\n'));
    const snapshot: Snapshot = {
      snapshotId,
      tenantId,
      records: bucket.records,
      snapshotHash,
      status: SNAPSHOT_STATUS.pendingAnchor,
      timeline: [
        { status: LIFECYCLE_INGESTED, at: firstAt },
        { status: SNAPSHOT_STATUS.pendingAnchor, at: this.iso() },
      ],
      attempts: 1,
      timers: [],
    };
    for (const record of bucket.records) record.snapshotId = snapshotId;
    this.snapshots.set(snapshotId, snapshot);
    this.scheduleAnchoring(snapshot);
  }

  private scheduleAnchoring(snapshot: Snapshot): void {
    const delay = this.settings.anchorDelayMs;
    snapshot.timers = [setTimeout(() => this.batch(snapshot), delay / 2), setTimeout(() => this.anchor(snapshot), delay)];
  }

  private batch(snapshot: Snapshot): void {
    if (snapshot.status !== SNAPSHOT_STATUS.pendingAnchor) return;
    this.sequence.batch += 1;
    snapshot.batchId = `batch_${this.iso().slice(0, 10).replace(/-/g, '')}_${pad(this.sequence.batch)}`;
    this.transition(snapshot, SNAPSHOT_STATUS.batched);
  }

  private anchor(snapshot: Snapshot): void {
    if (snapshot.status === SNAPSHOT_STATUS.pendingAnchor) this.batch(snapshot);
    if (snapshot.status !== SNAPSHOT_STATUS.batched) return;
    snapshot.timers.forEach(clearTimeout);
    snapshot.timers = [];
    // A retry draws only when it may fail, so runs without retryFailRate keep their seeded sequence.
    const fails = snapshot.attempts === 1 ? this.settings.random() < this.settings.failRate : this.settings.retryFailRate > 0 && this.settings.random() < this.settings.retryFailRate;
    if (fails) {
      this.transition(snapshot, SNAPSHOT_STATUS.failed);
      return;
    }
    snapshot.tree = buildMerkleTree(snapshot.records.map((r) => r.hash));
    const root = snapshot.tree.root;
    snapshot.merkleRoot = root;
    snapshot.anchorTimestamp = this.iso();
    snapshot.transactionHash = `0x${sha256Hex(`${snapshot.batchId}:${root}:${snapshot.attempts}`)}`;
    snapshot.ipfsCid = fakeCid(sha256Hex(`ipfs:${root}`));
    this.transition(snapshot, SNAPSHOT_STATUS.anchored);
  }

  private transition(snapshot: Snapshot, status: SandboxSnapshotStatus): void {
    snapshot.status = status;
    snapshot.timeline.push({ status, at: this.iso() });
  }

  /** Turns every tenant's pending records into snapshots now. Returns the new snapshot ids. */
  flush(): string[] {
    const before = this.sequence.snapshot;
    for (const tenantId of [...this.pending.keys()]) this.flushTenant(tenantId);
    return Array.from({ length: this.sequence.snapshot - before }, (_, i) => `snap_${pad(before + i + 1)}`);
  }

  /** Completes the anchoring of every snapshot in progress now (each may still end `Failed`). */
  settle(): void {
    for (const snapshot of this.snapshots.values()) {
      if (snapshot.status === SNAPSHOT_STATUS.pendingAnchor || snapshot.status === SNAPSHOT_STATUS.batched) this.anchor(snapshot);
    }
  }

  retry(snapshotId: string): LedgerAnswer {
    const snapshot = this.snapshots.get(snapshotId);
    if (!snapshot) return { status: 404, message: `snapshot ${snapshotId} not found` };
    if (snapshot.status !== SNAPSHOT_STATUS.failed) {
      return { status: 409, message: `snapshot ${snapshotId} is ${snapshot.status}; only ${SNAPSHOT_STATUS.failed} snapshots can be retried` };
    }
    snapshot.attempts += 1;
    this.transition(snapshot, SNAPSHOT_STATUS.pendingAnchor);
    this.scheduleAnchoring(snapshot);
    return { status: 202, body: { snapshotId, status: snapshot.status, message: 'Snapshot re-queued for anchoring' } };
  }

  snapshotDetail(snapshotId: string): LedgerAnswer {
    const s = this.snapshots.get(snapshotId);
    if (!s) return { status: 404, message: `snapshot ${snapshotId} not found` };
    return {
      status: 200,
      body: {
        snapshotId: s.snapshotId,
        tenantId: s.tenantId,
        status: s.status,
        recordIds: s.records.map((r) => r.recordId),
        recordCount: s.records.length,
        snapshotHash: s.snapshotHash,
        batchId: s.batchId,
        merkleRoot: s.merkleRoot,
        anchorTimestamp: s.anchorTimestamp,
        transactionHash: s.transactionHash,
      },
    };
  }

  lifecycle(snapshotId: string): LedgerAnswer {
    const s = this.snapshots.get(snapshotId);
    if (!s) return { status: 404, message: `snapshot ${snapshotId} not found` };
    return { status: 200, body: { snapshotId, status: s.status, timeline: s.timeline.map((t) => ({ ...t })) } };
  }

  /** `GET /records`: the response shape is not documented; the sandbox returns `{total, items}`. */
  query(filter: Readonly<Record<string, string | undefined>>): unknown {
    const fields = ['tenantId', 'database', 'collection', 'recordId', 'snapshotId'] as const;
    const items = this.records
      .filter((r) => fields.every((f) => filter[f] === undefined || r[f] === filter[f]))
      .map((r) => ({
        tenantId: r.tenantId,
        clientId: r.clientId,
        database: r.database,
        collection: r.collection,
        recordId: r.recordId,
        recordVersion: r.recordVersion,
        operationType: r.operationType,
        sourceTimestamp: r.sourceTimestamp,
        recordHash: this.formatHash(r.hash),
        acceptedAt: r.acceptedAt,
        snapshotId: r.snapshotId,
      }));
    return { total: items.length, items };
  }

  verify(input: VerifyInput): LedgerAnswer {
    const candidates = (this.byRecord.get(recordLookupKey(input.collection, input.recordId)) ?? []).filter(
      (r) =>
        (input.tenantId === undefined || r.tenantId === input.tenantId) &&
        (input.database === undefined || r.database === input.database) &&
        (input.recordVersion === undefined || r.recordVersion === input.recordVersion) &&
        (input.batchId === undefined || (r.snapshotId !== undefined && this.snapshots.get(r.snapshotId)?.batchId === input.batchId)),
    );
    // The latest stored version unless one was asked for.
    const record = candidates[candidates.length - 1];
    if (!record) return { status: 404, message: `record ${input.recordId} not found in collection ${input.collection}` };
    this.sequence.verification += 1;
    const snapshot = record.snapshotId === undefined ? undefined : this.snapshots.get(record.snapshotId);
    const common = {
      verifiedAt: this.iso(),
      verificationId: `ver_${pad(this.sequence.verification)}`,
      recordHash: this.formatHash(record.hash),
      snapshotId: snapshot?.snapshotId,
      snapshotHash: snapshot?.snapshotHash,
      batchId: snapshot?.batchId,
    };
    let body: Record<string, unknown>;
    if (input.payload !== undefined && payloadHash(input.payload) !== record.hash) {
      body = { verified: false, verificationStatus: VERIFICATION_STATUS.fail, reasonCategory: REASON_CATEGORY.payloadMismatch, ...common, anchoredOnChain: snapshot?.status === SNAPSHOT_STATUS.anchored };
    } else if (!snapshot || snapshot.status !== SNAPSHOT_STATUS.anchored) {
      const failed = snapshot?.status === SNAPSHOT_STATUS.failed;
      const reason = !snapshot ? REASON_CATEGORY.notInSnapshot : failed ? REASON_CATEGORY.anchorFailed : REASON_CATEGORY.anchorPending;
      const status = failed && this.settings.anchorFailedShape === 'fail' ? VERIFICATION_STATUS.fail : VERIFICATION_STATUS.pending;
      // The `fail` shape names the failure by reasonCategory alone.
      const snapshotStatus = status === VERIFICATION_STATUS.fail ? {} : { snapshotStatus: snapshot?.status };
      body = { verified: false, verificationStatus: status, reasonCategory: reason, ...common, ...snapshotStatus, anchoredOnChain: false };
    } else {
      const tree = snapshot.tree as MerkleTree;
      const root = tree.root;
      body = {
        verified: true,
        verificationStatus: VERIFICATION_STATUS.pass,
        reasonCategory: REASON_CATEGORY.fullMatch,
        ...common,
        merkleRoot: root,
        merkleProof: tree.proof(snapshot.records.indexOf(record)),
        anchoredOnChain: true,
        chainId: CHAIN_ID,
        contractAddress: CONTRACT_ADDRESS,
        onChainMerkleRoot: root,
        onChainAnchoredAt: snapshot.anchorTimestamp,
        transactionHash: snapshot.transactionHash,
        ipfsEvidence: {
          ipfsCid: snapshot.ipfsCid,
          ipfsGatewayUrl: `https://gateway.pinata.cloud/ipfs/${snapshot.ipfsCid}`,
          hashMatchesIpfs: true,
          merkleRootMatchesChain: true,
        },
      };
    }
    this.history.push({
      verificationId: common.verificationId,
      tenantId: record.tenantId,
      recordId: record.recordId,
      collection: record.collection,
      verifiedAt: common.verifiedAt,
      verified: body.verified,
      verificationStatus: body.verificationStatus,
      reasonCategory: body.reasonCategory,
    });
    return { status: 200, body };
  }

  /** `GET /verify/history`: shape not documented; the sandbox returns `{tenantId, recordId, total, items}`. */
  verificationHistory(tenantId: string, recordId?: string): unknown {
    const items = this.history.filter((h) => h.tenantId === tenantId && (recordId === undefined || h.recordId === recordId));
    return { tenantId, recordId, total: items.length, items };
  }

  get recordsStored(): number {
    return this.records.length;
  }

  snapshotCounts(): Record<string, number> {
    const counts: Record<string, number> = { pendingRecords: [...this.pending.values()].reduce((n, b) => n + b.records.length, 0) };
    for (const s of this.snapshots.values()) counts[s.status] = (counts[s.status] ?? 0) + 1;
    return counts;
  }

  /** Stops every timer (flush and anchoring). */
  dispose(): void {
    for (const bucket of this.pending.values()) clearTimeout(bucket.timer);
    for (const s of this.snapshots.values()) s.timers.forEach(clearTimeout);
  }
}
