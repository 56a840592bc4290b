/** The local Certyo sandbox as a library: `startSandbox(options)` and what its tests need. */
export { startSandbox } from './sandbox';
export type { Sandbox } from './sandbox';
export { SANDBOX_DEFAULTS } from './options';
export type { FaultRates, SandboxOptions, ScriptedFault } from './options';
export type { SandboxStats } from './stats';
export { canonicalJson, payloadHash } from './canonical-json';
export { parseLosslessJson } from './lossless-json';
export { hashPair, merkleProof, merkleRoot, verifyMerkleProof } from './merkle';
export * from './vocabulary';
