/**
 * The configuration table of docs/configuration.md, generated from lib/config.ts. Print it with
 * `npx tsx scripts/config-table.ts`, or rewrite the page in place with `-- --write`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SETTINGS } from '../lib/config';

export const CONFIGURATION_PAGE = path.join(__dirname, '..', 'docs', 'configuration.md');

/** The Markdown table, one row per setting, without a trailing newline. */
export function configTable(): string {
  const rows = SETTINGS.map((s) => {
    const def = s.defaultValue === undefined ? '—' : `\`${JSON.stringify(s.defaultValue)}\``;
    return `| \`${s.key}\` | ${def} | ${s.description} |`;
  });
  return ['| Context key | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The table as it stands in the page: the block of lines starting with the table's header. */
export function tableInPage(page: string): string | undefined {
  const lines = page.split('\n');
  const start = lines.indexOf('| Context key | Default | Meaning |');
  if (start < 0) return undefined;
  let end = start;
  while (end < lines.length && lines[end]?.startsWith('|')) end++;
  return lines.slice(start, end).join('\n');
}

if (require.main === module) {
  if (process.argv.includes('--write')) {
    const page = fs.readFileSync(CONFIGURATION_PAGE, 'utf8');
    const current = tableInPage(page);
    if (current === undefined) throw new Error(`${CONFIGURATION_PAGE} has no configuration table to replace`);
    fs.writeFileSync(CONFIGURATION_PAGE, page.replace(current, configTable()));
  } else {
    console.log(configTable());
  }
}
