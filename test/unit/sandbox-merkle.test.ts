import { createHash } from 'node:crypto';
import { buildMerkleTree, hashPair, merkleProof, merkleRoot, verifyMerkleProof } from '../../local/sandbox/merkle';

const leaf = (n: number): string => createHash('sha256').update(`record-${n}`).digest('hex');
const leaves = (count: number): string[] => Array.from({ length: count }, (_, i) => leaf(i));
const sha = (...parts: Buffer[]): string => createHash('sha256').update(Buffer.concat(parts)).digest('hex');

describe('Merkle tree (sorted pairs, odd node promoted)', () => {
  it('hashes a pair as SHA-256 of the smaller 32 bytes then the larger, in either order', () => {
    const [a, b] = [leaf(1), leaf(2)].sort();
    const expected = sha(Buffer.from(a!, 'hex'), Buffer.from(b!, 'hex'));

    expect(hashPair(a!, b!)).toBe(expected);
    expect(hashPair(b!, a!)).toBe(expected);
  });

  it('has the leaf itself as the root of a one-leaf tree, with an empty proof', () => {
    expect(merkleRoot([leaf(0)])).toBe(leaf(0));
    expect(merkleProof([leaf(0)], 0)).toEqual([]);
  });

  it('promotes the odd last node instead of pairing it with itself', () => {
    const three = leaves(3);

    expect(merkleRoot(three)).toBe(hashPair(hashPair(three[0]!, three[1]!), three[2]!));
    expect(merkleProof(three, 2)).toEqual([hashPair(three[0]!, three[1]!)]);
  });

  it.each([1, 2, 3, 5, 8, 13, 1000])('proves every leaf of a %i-leaf tree against the root', (count) => {
    const all = leaves(count);
    const tree = buildMerkleTree(all);

    for (let i = 0; i < count; i++) expect(verifyMerkleProof(all[i]!, tree.proof(i), tree.root)).toBe(true);
  });

  it('rejects a proof for another leaf, a tampered proof and a wrong root', () => {
    const all = leaves(6);
    const root = merkleRoot(all);
    const proof = merkleProof(all, 2);

    expect(verifyMerkleProof(leaf(99), proof, root)).toBe(false);
    expect(verifyMerkleProof(all[2]!, [leaf(98), ...proof.slice(1)], root)).toBe(false);
    expect(verifyMerkleProof(all[2]!, proof, leaf(97))).toBe(false);
  });

  it('reads sha256:-prefixed hashes as the same hash', () => {
    const all = leaves(4);

    expect(merkleRoot(all.map((h) => `sha256:${h}`))).toBe(merkleRoot(all));
  });

  it('refuses what is not a SHA-256 hex hash, and an empty tree', () => {
    expect(() => merkleRoot(['abc'])).toThrow('not a SHA-256 hex hash: "abc"');
    expect(() => merkleRoot([])).toThrow('at least one leaf');
    expect(() => merkleProof(leaves(2), 2)).toThrow('leaf index 2 out of range');
  });
});
