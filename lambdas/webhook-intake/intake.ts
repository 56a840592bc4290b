/**
 * `POST /webhooks/{source}`: verify the sender's signature, validate the body against the
 * forwarding event contract and the source's tenants and databases, refuse replays and put it on
 * the bus, in that order, so nothing is published from an unsigned, replayed, malformed or
 * out-of-bounds delivery.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorReply, jsonReply } from '../shared/api-response';
import { headerValue } from '../shared/headers';
import { DeliveryLog } from './delivery-log';
import { EventPublisher } from './event-publisher';
import { recordBodyToDetail, WebhookSourcePolicy } from './record-body';
import { readSignedDelivery, SignatureError, verifyDelivery } from './signature';
import { SourceSecrets } from './source-secrets';

export interface WebhookLog {
  info(message: string, details: Record<string, unknown>): void;
  warn(message: string, details: Record<string, unknown>): void;
  error(message: string, details: Record<string, unknown>): void;
}

export interface WebhookDeps {
  readonly secrets: SourceSecrets;
  /** The configured sources; any other source is refused like a bad signature. */
  readonly sources: ReadonlyMap<string, WebhookSourcePolicy>;
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

/**
 * The one answer to every signature failure (missing or malformed header, stale timestamp, wrong
 * signature, unknown source): a caller cannot tell which, so it learns nothing about which
 * sources exist. The log has the reason.
 */
export const SIGNATURE_FAILURE_BODY = JSON.stringify({ error: 'invalid_signature', message: 'The delivery is not correctly signed for this source' });

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

export async function handleWebhook(event: APIGatewayProxyEvent, deps: WebhookDeps): Promise<APIGatewayProxyResult> {
  const source = event.pathParameters?.source ?? '';
  const request = { source, requestId: event.requestContext?.requestId };
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');

  let deliveryId: string;
  const policy = deps.sources.get(source);
  try {
    const delivery = readSignedDelivery((name) => headerValue(event.headers, name));
    deliveryId = delivery.deliveryId;
    const secret = policy === undefined ? undefined : await deps.secrets.get(source);
    if (policy === undefined) throw new SignatureError('Source is not configured (certyo:webhook.sources)');
    if (secret === undefined) throw new SignatureError('Source has no signing secret');
    verifyDelivery(delivery, body, secret, deps.toleranceSeconds, deps.now());
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    deps.log.warn('Webhook refused: signature', { ...request, reason: error.message });
    return { statusCode: 401, headers: { 'Content-Type': 'application/json' }, body: SIGNATURE_FAILURE_BODY };
  }
  const delivery = { ...request, deliveryId };

  const eventSource = eventSourceOf(source);
  const envelopeBytes = Buffer.byteLength(eventSource + deps.detailType, 'utf8');
  const mapped = recordBodyToDetail(body.toString('utf8'), deliveryId, envelopeBytes, policy);
  if (!mapped.ok) {
    deps.log.warn('Webhook refused: body', { ...delivery, reason: mapped.message });
    const error = mapped.status === 413 ? 'request_too_large' : mapped.status === 403 ? 'forbidden' : 'bad_request';
    return errorReply(mapped.status, error, mapped.message);
  }

  const claim = await deps.deliveries.claim(source, deliveryId);
  if (claim === 'published') {
    deps.log.info('Webhook delivery already published; not published again', delivery);
    return jsonReply(200, { status: 'duplicate', deliveryId });
  }
  if (claim === 'pending') {
    deps.log.info('Webhook delivery is being published by another attempt', delivery);
    return errorReply(409, 'delivery_in_progress', 'This delivery is being published by an earlier attempt; retry it later');
  }
  let eventId: string;
  try {
    eventId = await deps.events.publish({ source: eventSource, detailType: deps.detailType, detail: mapped.detail });
  } catch (error) {
    deps.log.error('Webhook not published; the sender should retry', { ...delivery, error: error instanceof Error ? error.message : String(error) });
    try {
      // Forget the claim so the sender's retry is published at once; if this fails too, the
      // pending claim expires and a later retry takes it over.
      await deps.deliveries.release(source, deliveryId);
    } catch (releaseError) {
      deps.log.error('Webhook claim not released; it expires as pending', { ...delivery, error: errorName(releaseError) });
    }
    return errorReply(502, 'publish_failed', 'The event could not be published; retry the delivery');
  }
  try {
    await deps.deliveries.markPublished(source, deliveryId, eventId);
  } catch (markError) {
    // The event is on the bus. A retry after the pending claim expires publishes it again, with
    // the same idempotency key, so Certyo answers it as a replay.
    deps.log.error('Webhook published but not marked published', { ...delivery, eventId, error: errorName(markError) });
  }
  deps.log.info('Webhook published', { ...delivery, eventId });
  return jsonReply(202, { status: 'accepted', deliveryId, eventId });
}
