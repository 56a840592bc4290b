import { Duration } from 'aws-cdk-lib';

/**
 * Collects what is wrong with a construct's props, so one error names every bad prop at once:
 * `S3Ingest Ingest: timeout must be …; batchSize must be …`.
 */
export class PropProblems {
  private readonly problems: string[] = [];

  /** @param owner how the error starts, e.g. `S3Ingest Ingest` (class and construct id). */
  constructor(private readonly owner: string) {}

  add(problem: string): void {
    this.problems.push(problem);
  }

  /** `value` must be an integer from `min` to `max`; `why` follows the range in the message. */
  wholeNumber(name: string, value: number, min: number, max: number, why = ''): void {
    if (!Number.isInteger(value) || value < min || value > max) this.add(`${name} must be a whole number from ${min} to ${max}${why}, got ${value}`);
  }

  /**
   * The timeout of an ingest Lambda fed by SQS or a stream: from 30 seconds to Lambda's
   * 15 minutes, which also keeps a queue's visibility timeout (6 x timeout) under SQS's 12 hours.
   */
  ingestTimeout(timeout: Duration): void {
    const seconds = timeout.toSeconds();
    if (seconds < 30 || seconds > 900) this.add(`timeout must be from 30 seconds to 15 minutes, got ${seconds} seconds`);
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new Error(`${this.owner}: ${this.problems.join('; ')}`);
  }
}
