/**
 * Webhook signatures: HMAC-SHA256, keyed with the source's secret, over
 * `<delivery id>.<timestamp>.<raw body>`, sent as `X-Webhook-Signature: sha256=<hex>`.
 *
 * Why the delivery id and timestamp are signed, not just the body: the delivery id is the replay
 * key and the timestamp bounds how long a captured request stays usable. If either could be
 * changed without breaking the signature, a captured delivery could be replayed under a new id
 * (or after the replay log forgot it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Webhook-Signature';
export const DELIVERY_ID_HEADER = 'X-Webhook-Id';
export const TIMESTAMP_HEADER = 'X-Webhook-Timestamp';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TIMESTAMP = /^\d{1,12}$/;

export interface SignedDelivery {
  readonly deliveryId: string;
  /** Unix seconds, as sent. */
  readonly timestamp: number;
  /** The signature bytes (32). */
  readonly signature: Buffer;
}

/** A delivery whose signature headers are missing, malformed, stale or wrong: answered 401. */
export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** Reads the three signature headers; the error names the header that is missing or malformed. */
export function readSignedDelivery(header: (name: string) => string | undefined): SignedDelivery {
  const deliveryId = header(DELIVERY_ID_HEADER);
  const timestamp = header(TIMESTAMP_HEADER);
  const signature = header(SIGNATURE_HEADER);
  if (deliveryId === undefined) throw new SignatureError(`Missing ${DELIVERY_ID_HEADER} header`);
  if (!DELIVERY_ID.test(deliveryId)) throw new SignatureError(`${DELIVERY_ID_HEADER} must be 1-128 letters, digits or . _ : -`);
  if (timestamp === undefined) throw new SignatureError(`Missing ${TIMESTAMP_HEADER} header`);
  if (!TIMESTAMP.test(timestamp)) throw new SignatureError(`${TIMESTAMP_HEADER} must be Unix time in seconds`);
  if (signature === undefined) throw new SignatureError(`Missing ${SIGNATURE_HEADER} header`);
  const hex = SIGNATURE.exec(signature)?.[1];
  if (hex === undefined) throw new SignatureError(`${SIGNATURE_HEADER} must be sha256=<64 hex digits>`);
  return { deliveryId, timestamp: Number(timestamp), signature: Buffer.from(hex, 'hex') };
}

export function signDelivery(secret: string, deliveryId: string, timestamp: number, body: Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${deliveryId}.${timestamp}.`, 'utf8');
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

/**
 * Throws `SignatureError` unless the delivery is signed with `secret` and its timestamp is within
 * `toleranceSeconds` of `nowMs`. The comparison takes the same time wherever the bytes differ.
 */
export function verifyDelivery(delivery: SignedDelivery, body: Buffer, secret: string, toleranceSeconds: number, nowMs: number): void {
  if (Math.abs(nowMs / 1000 - delivery.timestamp) > toleranceSeconds) {
    throw new SignatureError(`${TIMESTAMP_HEADER} is more than ${toleranceSeconds} seconds away from the current time`);
  }
  const expected = Buffer.from(signDelivery(secret, delivery.deliveryId, delivery.timestamp, body).slice('sha256='.length), 'hex');
  if (!timingSafeEqual(expected, delivery.signature)) throw new SignatureError('Signature does not match the body');
}
