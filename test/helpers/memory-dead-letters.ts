import { DeadLetter, DeadLetterSink } from '../../lambdas/shared/dead-letter';

/** Keeps the dead letters sent; set `failure` to make the queue unreachable. */
export class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  failure?: Error;
  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.letters.push(...letters);
  }
}
