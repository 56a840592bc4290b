/**
 * The sandbox's Merkle tree: SHA-256, binary, over the record hashes of a snapshot in ingest order.
 *
 * Pairing rule ("sorted pairs"): a parent is SHA-256 of the two children's 32 raw bytes, the
 * smaller child (bytewise) first. An odd node at the end of a level is promoted unchanged to the
 * next level (no self-pairing, which would let two different leaf lists share a root).
 *
 * Why sorted pairs: the API's `merkleProof` is a plain list of hashes with no left/right flags,
 * and with sorted pairs a proof needs none: fold the leaf with each proof hash in turn.
 * Hashes are lowercase hex; a `sha256:` prefix on a leaf is ignored (record hashes are opaque
 * strings that are seen in both forms).
 */
import { createHash } from 'node:crypto';

function bytes(hash: string): Buffer {
  const hex = hash.startsWith('sha256:') ? hash.slice('sha256:'.length) : hash;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`not a SHA-256 hex hash: ${JSON.stringify(hash)}`);
  return Buffer.from(hex, 'hex');
}

export function hashPair(a: string, b: string): string {
  const [x, y] = [bytes(a), bytes(b)];
  const [first, second] = Buffer.compare(x, y) <= 0 ? [x, y] : [y, x];
  return createHash('sha256').update(first).update(second).digest('hex');
}

/** Every level, leaves first, root level last. */
function levels(leaves: readonly string[]): string[][] {
  if (leaves.length === 0) throw new Error('a Merkle tree needs at least one leaf');
  const all = [leaves.map((leaf) => bytes(leaf).toString('hex'))];
  for (let level = all[0] as string[]; level.length > 1; ) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? hashPair(level[i] as string, level[i + 1] as string) : (level[i] as string));
    }
    all.push(next);
    level = next;
  }
  return all;
}

export interface MerkleTree {
  readonly root: string;
  /** Sibling hashes from the leaf at `index` up to the root (promoted odd nodes add nothing). */
  proof(index: number): string[];
}

/** Builds the tree once, so proofs of a 1,000-leaf snapshot cost no rehashing. */
export function buildMerkleTree(leaves: readonly string[]): MerkleTree {
  const all = levels(leaves);
  return {
    root: (all[all.length - 1] as string[])[0] as string,
    proof(index: number): string[] {
      if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new Error(`leaf index ${index} out of range`);
      const proof: string[] = [];
      let position = index;
      for (const level of all.slice(0, -1)) {
        const sibling = position % 2 === 0 ? position + 1 : position - 1;
        if (sibling < level.length) proof.push(level[sibling] as string);
        position = Math.floor(position / 2);
      }
      return proof;
    },
  };
}

export function merkleRoot(leaves: readonly string[]): string {
  return buildMerkleTree(leaves).root;
}

export function merkleProof(leaves: readonly string[], index: number): string[] {
  return buildMerkleTree(leaves).proof(index);
}

/** True when folding `leaf` with `proof` (sorted pairs) gives `root`. */
export function verifyMerkleProof(leaf: string, proof: readonly string[], root: string): boolean {
  const computed = proof.reduce((node, sibling) => hashPair(node, sibling), bytes(leaf).toString('hex'));
  return computed === bytes(root).toString('hex');
}
