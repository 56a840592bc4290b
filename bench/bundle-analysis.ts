/**
 * What a bundle ships and what a cold start loads, from esbuild's metafile: the entry file plus
 * every chunk it imports statically is loaded at initialisation; chunks reached only through
 * dynamic `import()` are loaded when first used (or never).
 */
import type { Metafile } from 'esbuild';
import { HANDLER_FILE } from '../lib/bundling';

export interface BundleBytes {
  /** Output file of the handler (`…/index.mjs`), as named in the metafile. */
  readonly entry: string;
  /** Every code file the zip ships. */
  readonly totalBytes: number;
  /** The entry and its static imports: what module initialisation reads and compiles. */
  readonly initBytes: number;
  /** Bytes by npm package (or `lambdas/…` folder) of what initialisation loads, largest first. */
  readonly initByPackage: readonly (readonly [string, number])[];
}

/** `node_modules/@scope/name/…` → `@scope/name` (the innermost, for nested copies); our own sources → their `lambdas/<folder>`. */
export function packageOf(input: string): string {
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (pkg) return pkg;
  const own = /^(lambdas\/[^/]+)\//.exec(input)?.[1];
  return own ?? input;
}

export function bundleBytes(metafile: Metafile | undefined): BundleBytes {
  if (!metafile) throw new Error('bundleBytes: build with metafile: true');
  const outputs = metafile.outputs;
  const code = Object.keys(outputs).filter((file) => !file.endsWith('.map'));
  const entry = code.find((file) => file.endsWith(`/${HANDLER_FILE}`));
  if (!entry) throw new Error(`bundleBytes: no ${HANDLER_FILE} among the outputs (${code.join(', ')})`);
  const loaded = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (loaded.has(file)) continue;
    loaded.add(file);
    for (const imported of outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
    }
  }
  const byPackage = new Map<string, number>();
  for (const file of loaded) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[file]?.inputs ?? {})) {
      byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
  }
  const sum = (files: Iterable<string>): number => [...files].reduce((total, file) => total + (outputs[file]?.bytes ?? 0), 0);
  return {
    entry,
    totalBytes: sum(code),
    initBytes: sum(loaded),
    initByPackage: [...byPackage].sort((a, b) => b[1] - a[1]),
  };
}
