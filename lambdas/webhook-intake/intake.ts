/**
 * `POST /webhooks/{source}`: verify the sender's signature, refuse replays, validate the body
 * against the forwarding event contract and put it on the bus, in that order, so nothing is
 * published from an unsigned, replayed or malformed delivery.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { headerValue } from '../shared/headers';
import { DeliveryLog } from './delivery-log';
import { EventPublisher } from './event-publisher';
import { recordBodyToDetail } from './record-body';
import { readSignedDelivery, SignatureError, verifyDelivery } from './signature';
import { SourceSecrets } from './source-secrets';

export interface WebhookLog {
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}

export interface WebhookDeps {
  readonly secrets: SourceSecrets;
  readonly deliveries: DeliveryLog;
  readonly events: EventPublisher;
  /** `detail-type` of the published events (`certyo:detailType`). */
  readonly detailType: string;
  /** How far a delivery's timestamp may be from now. */
  readonly toleranceSeconds: number;
  readonly log: WebhookLog;
  readonly now: () => number;
}

/** EventBridge `source` of a webhook's events; add it to `certyo:eventSources` when that list is set. */
export const eventSourceOf = (source: string): string => `webhook.${source}`;

function reply(statusCode: number, body: Record<string, unknown>): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

const failure = (statusCode: number, error: string, message: string) => reply(statusCode, { error, message });

export async function handleWebhook(event: APIGatewayProxyEvent, deps: WebhookDeps): Promise<APIGatewayProxyResult> {
  const source = event.pathParameters?.source ?? '';
  const request = { source, requestId: event.requestContext?.requestId };
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');

  let deliveryId: string;
  try {
    const delivery = readSignedDelivery((name) => headerValue(event.headers, name));
    deliveryId = delivery.deliveryId;
    const secret = await deps.secrets.get(source);
    // An unknown source is answered like a bad signature: callers learn nothing about which sources exist.
    if (secret === undefined) throw new SignatureError('Signature does not match the body');
    verifyDelivery(delivery, body, secret, deps.toleranceSeconds, deps.now());
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    deps.log.warn('Webhook refused: signature', { ...request, reason: error.message });
    return failure(401, 'invalid_signature', error.message);
  }
  const delivery = { ...request, deliveryId };

  const eventSource = eventSourceOf(source);
  const envelopeBytes = Buffer.byteLength(eventSource + deps.detailType, 'utf8');
  const mapped = recordBodyToDetail(body.toString('utf8'), deliveryId, envelopeBytes);
  if (!mapped.ok) {
    deps.log.warn('Webhook refused: body', { ...delivery, reason: mapped.message });
    return failure(mapped.status, mapped.status === 413 ? 'request_too_large' : 'bad_request', mapped.message);
  }

  if (!(await deps.deliveries.claim(source, deliveryId))) {
    deps.log.info('Webhook delivery already received; not published again', delivery);
    return reply(200, { status: 'duplicate', deliveryId });
  }
  let eventId: string;
  try {
    eventId = await deps.events.publish({ source: eventSource, detailType: deps.detailType, detail: mapped.detail });
  } catch (error) {
    // Forget the claim so the sender's retry of this delivery is published, not taken for a replay.
    await deps.deliveries.release(source, deliveryId);
    deps.log.error('Webhook not published; the sender should retry', { ...delivery, error: error instanceof Error ? error.message : String(error) });
    return failure(502, 'publish_failed', 'The event could not be published; retry the delivery');
  }
  deps.log.info('Webhook published', { ...delivery, eventId });
  return reply(202, { status: 'accepted', deliveryId, eventId });
}
