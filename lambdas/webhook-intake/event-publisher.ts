import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

export interface RecordEventEntry {
  readonly source: string;
  readonly detailType: string;
  /** JSON text. */
  readonly detail: string;
}

export interface EventPublisher {
  /** Puts one event on the bus and returns its id; throws when EventBridge did not accept it. */
  publish(entry: RecordEventEntry): Promise<string>;
}

export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

export function eventBridgePublisher(client: EventBridgeClient, eventBusName: string): EventPublisher {
  return {
    async publish(entry) {
      const out = await client.send(
        new PutEventsCommand({ Entries: [{ EventBusName: eventBusName, Source: entry.source, DetailType: entry.detailType, Detail: entry.detail }] }),
      );
      const result = out.Entries?.[0];
      // PutEvents reports a rejected entry in the response, not as an exception.
      if ((out.FailedEntryCount ?? 0) > 0 || !result?.EventId) {
        throw new PublishError(`EventBridge rejected the event: ${result?.ErrorCode ?? 'no event id'} ${result?.ErrorMessage ?? ''}`.trim());
      }
      return result.EventId;
    },
  };
}
