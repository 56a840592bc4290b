import { readDdbIngestSettings } from '../../lambdas/ddb-ingest/settings';
import { EnvironmentError } from '../../lambdas/shared/runtime-env';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/failed-records';

describe('readDdbIngestSettings', () => {
  it('applies the defaults of certyo:dynamodb.*', () => {
    expect(readDdbIngestSettings({ DEAD_LETTER_QUEUE_URL: QUEUE })).toEqual({ deadLetterQueueUrl: QUEUE, database: 'dynamodb', ttlDeletes: 'ingest', writeBack: false });
  });

  it('reads every variable the construct sets', () => {
    // Act
    const settings = readDdbIngestSettings({ DEAD_LETTER_QUEUE_URL: QUEUE, CERTYO_DATABASE: 'orders-db', TTL_DELETES: 'skip', WRITE_BACK: 'true' });

    // Assert
    expect(settings).toEqual({ deadLetterQueueUrl: QUEUE, database: 'orders-db', ttlDeletes: 'skip', writeBack: true });
  });

  it.each([
    [{}, 'Environment variable DEAD_LETTER_QUEUE_URL is not set'],
    [{ DEAD_LETTER_QUEUE_URL: QUEUE, TTL_DELETES: 'drop' }, 'Environment variable TTL_DELETES = "drop" is not one of ingest, skip'],
    [{ DEAD_LETTER_QUEUE_URL: QUEUE, WRITE_BACK: 'yes' }, 'Environment variable WRITE_BACK = "yes" is not one of true, false'],
  ])('fails the cold start naming the variable for %j', (env, message) => {
    expect(() => readDdbIngestSettings(env)).toThrow(EnvironmentError);
    expect(() => readDdbIngestSettings(env)).toThrow(message);
  });
});
