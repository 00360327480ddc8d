/**
 * A test probe: an actor that records what it receives, so tests can await messages in order.
 */
import { Behaviors, type ActorRef, type ActorSystem } from '../../lib/index.js';
import { until } from './eventually.js';

export class TestProbe<T> {
  readonly received: T[] = [];
  readonly ref: ActorRef<T>;
  private cursor = 0;

  constructor(system: ActorSystem, name?: string) {
    this.ref = system.spawn(
      Behaviors.receiveMessage<T>(message => {
        this.received.push(message);
      }),
      name,
    );
  }

  /** The next message not yet taken, waiting up to `timeoutMs`. */
  async expectMessage(timeoutMs = 3000): Promise<T> {
    await until(() => this.received.length > this.cursor, 'a message at the probe', timeoutMs);
    return this.received[this.cursor++];
  }

  /** Waits until a received message satisfies `predicate` and returns it (skipping earlier ones). */
  async fishFor(predicate: (message: T) => boolean, timeoutMs = 3000): Promise<T> {
    let found: T | undefined;
    await until(
      () => {
        while (this.cursor < this.received.length) {
          const message = this.received[this.cursor++];
          if (predicate(message)) {
            found = message;
            return true;
          }
        }
        return false;
      },
      'a matching message at the probe',
      timeoutMs,
    );
    return found as T;
  }
}
