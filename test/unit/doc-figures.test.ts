import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchResults } from '../../bench/report';
import { blockInPage, FIGURE_BLOCKS, FIGURE_CLAIMS, normalizeSpace, readResults, REPO_ROOT, usd } from '../../scripts/doc-figures';

const results = readResults();
const page = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');

/** Every Markdown page a user reads: the README and docs/. */
const PAGES = ['README.md', ...fs.readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('figures in the README and docs/ agree with bench/results.json', () => {
  it.each(FIGURE_BLOCKS.map((b) => [`${b.file} ${b.name}`, b] as const))('the generated table %s is current', (_, block) => {
    // Regenerate with `npx tsx scripts/doc-figures.ts --write` after `npm run bench`.
    expect(blockInPage(page(block.file), block.name)).toBe(block.render(results));
  });

  it.each(FIGURE_CLAIMS.map((c) => [`${c.file}: ${c.render(results)}`, c] as const))('%s', (_, claim) => {
    expect(normalizeSpace(page(claim.file))).toContain(normalizeSpace(claim.render(results)));
  });

  it('quotes no figure measured with --quick', () => {
    const sections = Object.entries(results as Record<string, unknown>).filter(([, v]) => typeof v === 'object' && v !== null && (v as { quick?: boolean }).quick === true);
    const s3 = Object.entries(results.s3 ?? {}).filter(([, v]) => typeof v === 'object' && v !== null && (v as { quick?: boolean }).quick === true);

    expect([...sections, ...s3].map(([k]) => k)).toEqual([]);
  });

  it('has no figure block on a page without a renderer for it', () => {
    const known = new Set(FIGURE_BLOCKS.map((b) => `${b.file} ${b.name}`));
    const found = PAGES.flatMap((file) => [...page(file).matchAll(/<!-- figures:([\w-]+) -->/g)].map((m) => `${file} ${m[1]}`));

    expect(found.filter((f) => !known.has(f))).toEqual([]);
    expect(found.sort()).toEqual([...known].sort());
  });

  it('fails when a figure changes: a different measurement renders a different table', () => {
    const changed: BenchResults = JSON.parse(JSON.stringify(results)) as BenchResults;
    const forwarder = changed.forwarder as { recordsPerRequest: number };
    forwarder.recordsPerRequest = 999;

    const block = FIGURE_BLOCKS.find((b) => b.name === 'bench-figures');
    expect(block?.render(changed)).not.toBe(block?.render(results));
  });
});

describe('usd', () => {
  it.each([
    [330.5, '$330.50'],
    [1.4815, '$1.48'],
    [0.0487, '$0.05'],
    [0.0081, '$0.008'],
    [0.0005, '$0.0005'],
    [0, '$0'],
  ])('%p → %s', (value, text) => {
    expect(usd(value)).toBe(text);
  });
});
