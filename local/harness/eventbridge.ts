/**
 * Just enough of EventBridge to test what the stack deploys, from the synthesized template:
 * event-pattern matching (exact strings, `exists`, `prefix`, `wildcard`, `anything-but` with a
 * wildcard or a list of them, `$or`) and input
 * transformers (`InputPathsMap` + `InputTemplate` `<variable>` substitution), following the
 * EventBridge User Guide ("Event patterns", "Amazon EventBridge input transformation").
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isLeaf(value: unknown): boolean {
  return value === null || typeof value !== 'object' || (Array.isArray(value) && value.every(isLeaf));
}

/** A character as a regular expression matching only itself. */
const literal = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `*` matches any run of characters; `\\` makes the next character (`*` or `\\`) literal. */
function wildcardMatches(pattern: string, value: string): boolean {
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\' && i + 1 < pattern.length) regex += literal(pattern.charAt(++i));
    else if (c === '*') regex += '.*';
    else regex += literal(c);
  }
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** `anything-but` with a wildcard (or several): a present leaf value that no wildcard matches. */
function anythingButMatches(rule: unknown, value: unknown): boolean {
  const wildcards = (rule as { wildcard?: unknown }).wildcard;
  if (wildcards === undefined) throw new Error(`anything-but form not supported by this test helper: ${JSON.stringify(rule)}`);
  if (value === undefined || !isLeaf(value)) return false;
  const list = (Array.isArray(wildcards) ? wildcards : [wildcards]) as string[];
  const strings = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  return !strings.some((s) => list.some((w) => wildcardMatches(w, s)));
}

function conditionMatches(condition: unknown, value: unknown): boolean {
  // `exists` only sees leaves: an object (intermediate node) counts as absent.
  const present = value !== undefined && isLeaf(value);
  if (typeof condition === 'string' || typeof condition === 'number' || typeof condition === 'boolean' || condition === null) {
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => v === condition);
  }
  const rule = condition as Record<string, unknown>;
  if ('exists' in rule) return rule.exists === present;
  const strings = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  if ('prefix' in rule) return strings.some((s) => s.startsWith(rule.prefix as string));
  if ('wildcard' in rule) return strings.some((s) => wildcardMatches(rule.wildcard as string, s));
  if ('anything-but' in rule) return anythingButMatches(rule['anything-but'], value);
  throw new Error(`pattern operator not supported by this test helper: ${JSON.stringify(condition)}`);
}

/** Whether `event` matches an EventBridge event pattern. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  const object = (event ?? {}) as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') return (expected as Record<string, unknown>[]).some((alternative) => matchesPattern(alternative, event));
    const value = typeof object === 'object' ? object[key] : undefined;
    if (Array.isArray(expected)) return expected.some((condition) => conditionMatches(condition, value));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      // A nested pattern against a missing object: only `exists: false` conditions can hold.
      return matchesPattern(expected as Record<string, unknown>, {});
    }
    return matchesPattern(expected as Record<string, unknown>, value);
  });
}

/** Resolves `$` or `$.a.b` (dot notation, as input paths use it). */
function resolvePath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  if (!path.startsWith('$.')) throw new Error(`input path must start with "$.": ${path}`);
  return path
    .slice(2)
    .split('.')
    .reduce<unknown>((value, step) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[step] : undefined), event);
}

export interface InputTransformerJson {
  readonly InputPathsMap?: Record<string, string>;
  readonly InputTemplate: string;
}

/**
 * The text EventBridge sends the target. A `<variable>` outside quotes becomes the value as JSON;
 * inside a quoted string it becomes the raw text (strings unescaped). Throws for a variable whose
 * path is missing from the event: a deployed rule must never reference one.
 */
export function evaluateInputTransformer(transformer: InputTransformerJson, event: unknown): string {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {})) {
    const value = resolvePath(event, path);
    if (value === undefined) throw new Error(`input path ${path} (variable <${name}>) does not exist in the event`);
    values.set(name, value);
  }
  const template = transformer.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template.charAt(i);
    if (c === '<') {
      const close = template.indexOf('>', i + 1);
      const name = close < 0 ? '' : template.slice(i + 1, close);
      if (values.has(name)) {
        const value = values.get(name) as Json;
        out += inString ? (typeof value === 'string' ? value : JSON.stringify(value)) : JSON.stringify(value);
        i = close;
        continue;
      }
      if (/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`template variable <${name}> is not defined in InputPathsMap`);
    }
    if (c === '"' && template.charAt(i - 1) !== '\\') inString = !inString;
    out += c;
  }
  return out;
}
