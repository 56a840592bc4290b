/**
 * Accumulation, snapshots, anchoring and verification, through the client: the status machine
 * on real timers, Merkle proofs checked independently of the sandbox, tamper detection and
 * the retry of a failed snapshot.
 */
import { CertyoError, NotFoundError, SnapshotDetail, SnapshotLifecycle } from '../../lambdas/shared/certyo-types';
import { isAnchoredPass, REASON_CATEGORY, SNAPSHOT_STATUS, VERIFICATION_STATUS } from '../../local/sandbox';
import { clientFor, foldSortedPairProof, invoice, invoices, sha256Hex, withSandbox } from './support';

const waitFor = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 3000): Promise<T> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('snapshots on real timers', () => {
  it('flushes at N records and moves PendingAnchor -> Batched -> Anchored', async () => {
    await withSandbox({ flushRecords: 3, anchorDelayMs: 300 }, async (sandbox) => {
      const client = clientFor(sandbox);
      await client.ingestMany(invoices(3));
      const before = await client.verifyRecord({ collection: 'invoices', recordId: 'INV-1' });

      const anchored = await waitFor(() => client.getSnapshot(before.snapshotId!), (s) => s.status === SNAPSHOT_STATUS.anchored);
      const lifecycle = await client.getSnapshotLifecycle(before.snapshotId!);

      expect(before).toMatchObject({ verified: false, verificationStatus: VERIFICATION_STATUS.pending, reasonCategory: REASON_CATEGORY.anchorPending, anchoredOnChain: false });
      expect(anchored).toMatchObject<Partial<SnapshotDetail>>({ recordIds: ['INV-1', 'INV-2', 'INV-3'], recordCount: 3, status: 'Anchored' });
      expect(anchored.merkleRoot).toMatch(/^[0-9a-f]{64}$/);
      expect(anchored.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(lifecycle.timeline.map((t) => t.status)).toEqual(['Ingested', 'PendingAnchor', 'Batched', 'Anchored']);
    });
  });

  it('flushes after T ms when fewer than N records arrived', async () => {
    await withSandbox({ flushRecords: 1000, flushMs: 100, anchorDelayMs: 60_000 }, async (sandbox) => {
      const client = clientFor(sandbox);
      await client.ingestRecord(invoice(1));
      const early = await client.verifyRecord({ collection: 'invoices', recordId: 'INV-1' });

      const later = await waitFor(() => client.verifyRecord({ collection: 'invoices', recordId: 'INV-1' }), (v) => v.snapshotId !== undefined);

      expect(early.reasonCategory).toBe(REASON_CATEGORY.notInSnapshot);
      expect(later).toMatchObject({ verified: false, reasonCategory: REASON_CATEGORY.anchorPending, snapshotId: 'snap_000001' });
    });
  });
});

describe('verify', () => {
  it('returns a Merkle proof that folds to the anchored root for every record', async () => {
    await withSandbox({}, async (sandbox) => {
      const client = clientFor(sandbox);
      const ingested = await client.ingestMany(invoices(7));
      sandbox.flush();
      sandbox.settle();

      for (const { result } of ingested.accepted) {
        const proof = await client.verifyRecord({ tenantId: 'acme-corp', database: 'billing', collection: 'invoices', recordId: result.recordId });

        expect(proof).toMatchObject({ verified: true, verificationStatus: 'pass', reasonCategory: 'full_match', anchoredOnChain: true, chainId: 137 });
        expect(foldSortedPairProof(result.recordHash, proof.merkleProof!)).toBe(proof.merkleRoot);
        expect(proof.onChainMerkleRoot).toBe(proof.merkleRoot);
        expect(proof.ipfsEvidence).toMatchObject({ hashMatchesIpfs: true, merkleRootMatchesChain: true, ipfsCid: expect.stringMatching(/^bafkrei/) });
      }
    });
  });

  it('detects a tampered payload, and passes the original written in another key order', async () => {
    await withSandbox({}, async (sandbox) => {
      const client = clientFor(sandbox);
      await client.ingestRecord(invoice(9, { recordPayload: { amount: 90, currency: 'USD' } }));
      sandbox.flush();
      sandbox.settle();

      const tampered = await client.verifyRecord({ collection: 'invoices', recordId: 'INV-9', payload: { amount: 9000, currency: 'USD' } });
      const original = await client.verifyRecord({ collection: 'invoices', recordId: 'INV-9', payload: { currency: 'USD', amount: 90 } });

      expect(tampered).toMatchObject({ verified: false, verificationStatus: VERIFICATION_STATUS.fail, reasonCategory: REASON_CATEGORY.payloadMismatch });
      expect(tampered.recordHash).toBe(sha256Hex('{"amount":90,"currency":"USD"}'));
      expect(original).toMatchObject({ verified: true, verificationStatus: 'pass' });
    });
  });

  it('answers 404 for a record it never ingested', async () => {
    await withSandbox({}, async (sandbox) => {
      await expect(clientFor(sandbox).verifyRecord({ collection: 'invoices', recordId: 'INV-404' })).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  it('keeps an audit trail of verifications per record', async () => {
    await withSandbox({}, async (sandbox) => {
      const client = clientFor(sandbox);
      await client.ingestRecord(invoice(1));
      await client.verifyRecord({ collection: 'invoices', recordId: 'INV-1' });
      await client.verifyRecord({ collection: 'invoices', recordId: 'INV-1' });

      const history = (await client.verificationHistory({ tenantId: 'acme-corp', recordId: 'INV-1' })) as { total: number; items: { verificationId: string }[] };

      expect(history.total).toBe(2);
      expect(history.items.map((h) => h.verificationId)).toEqual(['ver_000001', 'ver_000002']);
    });
  });
});

describe('failed snapshots', () => {
  it('ends Failed at failRate 1, and POST /retry re-anchors it', async () => {
    await withSandbox({ failRate: 1 }, async (sandbox) => {
      const client = clientFor(sandbox);
      await client.ingestMany(invoices(2));
      const [snapshotId] = sandbox.flush();
      sandbox.settle();
      const failed = await client.getSnapshot(snapshotId!);
      const whileFailed = await client.verifyRecord({ collection: 'invoices', recordId: 'INV-1' });

      await client.retrySnapshot(snapshotId!);
      sandbox.settle();

      const lifecycle: SnapshotLifecycle = await client.getSnapshotLifecycle(snapshotId!);
      const after = await client.verifyRecord({ collection: 'invoices', recordId: 'INV-1' });
      expect([isAnchoredPass(whileFailed), isAnchoredPass(after)]).toEqual([false, true]);
      expect(failed.status).toBe(SNAPSHOT_STATUS.failed);
      expect(whileFailed).toMatchObject({ verified: false, reasonCategory: REASON_CATEGORY.anchorFailed });
      expect(lifecycle.timeline.map((t) => t.status)).toEqual(['Ingested', 'PendingAnchor', 'Batched', 'Failed', 'PendingAnchor', 'Batched', 'Anchored']);
      expect(after).toMatchObject({ verified: true, verificationStatus: 'pass' });
    });
  });

  it('fails the same snapshots for the same seed and fail rate', async () => {
    const statuses = async (seed: number): Promise<string[]> =>
      withSandbox({ failRate: 0.5, flushRecords: 1, seed }, async (sandbox) => {
        const client = clientFor(sandbox);
        await client.ingestMany(invoices(12)); // one snapshot per record
        sandbox.settle();
        return Promise.all(Array.from({ length: 12 }, async (_, i) => (await client.getSnapshot(`snap_${String(i + 1).padStart(6, '0')}`)).status));
      });

    const [first, second] = [await statuses(5), await statuses(5)];

    expect(first).toEqual(second);
    expect(new Set(first)).toEqual(new Set(['Anchored', 'Failed']));
  });

  it('refuses to retry a snapshot that did not fail (409)', async () => {
    await withSandbox({}, async (sandbox) => {
      const client = clientFor(sandbox);
      await client.ingestRecord(invoice(1));
      const [snapshotId] = sandbox.flush();
      sandbox.settle();

      const error = await client.retrySnapshot(snapshotId!).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(CertyoError);
      expect((error as CertyoError).status).toBe(409);
      await expect(client.retrySnapshot('snap_999999')).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
