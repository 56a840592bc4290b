/** Prints the README's configuration table from lib/config.ts: `npx tsx scripts/config-table.ts`. */
import { SETTINGS } from '../lib/config';

console.log('| Context key | Default | Meaning |');
console.log('|---|---|---|');
for (const s of SETTINGS) {
  const def = s.defaultValue === undefined ? '—' : `\`${JSON.stringify(s.defaultValue)}\``;
  console.log(`| \`${s.key}\` | ${def} | ${s.description} |`);
}
