/**
 * DynamoDB numbers (`N`, `NS`) as exact decimal text. DynamoDB keeps up to 38 significant
 * digits; a JavaScript number keeps about 16, and `unmarshall()` without `wrapNumbers` throws,
 * returns BigInt or rounds (architecture.md, pitfalls). So numbers never become doubles here:
 * their digits are rewritten into one canonical JSON number text.
 *
 * Canonical form, so one value always gives one text whatever spelling DynamoDB (or a Scan, or
 * a test) used: plain decimal notation (no exponent), no leading `+`, no leading zeros, no
 * trailing fractional zeros, no trailing `.`, and `0` for every zero (`-0`, `0.00`, `0E5`).
 * `1.50`, `15E-1` and `+1.5` are all `1.5`. The result is always a valid JSON number.
 */

export class NumberFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NumberFormatError';
  }
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** DynamoDB's limits: 38 significant digits, magnitudes from 1E-130 to below 1E+126. */
const MAX_DIGITS = 38;
const MIN_MAGNITUDE = -130;
const MAX_MAGNITUDE = 125;

/** Throws `NumberFormatError` for text that is not a number DynamoDB could hold. */
export function canonicalNumber(text: string): string {
  const match = NUMBER.exec(text);
  const [, sign = '', int = '', frac = '', exp = '0'] = match ?? [];
  if (!match || (int === '' && frac === '')) throw new NumberFormatError(`${JSON.stringify(text)} is not a number`);
  // An exponent this long cannot be in range and would make the arithmetic below meaningless.
  if (exp.replace(/^[+-]/, '').replace(/^0+/, '').length > 6) {
    throw new NumberFormatError(`${JSON.stringify(text)} is outside DynamoDB's number range`);
  }
  // value = digits × 10^exponent, with digits free of leading and trailing zeros.
  let digits = (int + frac).replace(/^0+/, '');
  let exponent = Number(exp) - frac.length;
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  exponent += digits.length - significant.length;
  digits = significant;
  if (digits.length > MAX_DIGITS) {
    throw new NumberFormatError(`${JSON.stringify(text)} has ${digits.length} significant digits; DynamoDB keeps at most ${MAX_DIGITS}`);
  }
  const magnitude = digits.length + exponent - 1;
  if (magnitude < MIN_MAGNITUDE || magnitude > MAX_MAGNITUDE) {
    throw new NumberFormatError(`${JSON.stringify(text)} is outside DynamoDB's number range`);
  }
  let body: string;
  if (exponent >= 0) {
    body = digits + '0'.repeat(exponent);
  } else {
    const point = digits.length + exponent;
    body = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return sign === '-' ? `-${body}` : body;
}

function fractionLength(canonical: string): number {
  const point = canonical.indexOf('.');
  return point < 0 ? 0 : canonical.length - point - 1;
}

function scaled(canonical: string, scale: number): bigint {
  const [int = '0', frac = ''] = canonical.split('.');
  return BigInt(int + frac.padEnd(scale, '0'));
}

/** Numeric order of two canonical numbers (exact: both are scaled to integers). */
export function compareCanonicalNumbers(a: string, b: string): number {
  const scale = Math.max(fractionLength(a), fractionLength(b));
  const x = scaled(a, scale);
  const y = scaled(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}
