/**
 * Publish/subscribe by event class inside one system. Subscribers are actors or plain
 * callbacks; a stopped actor is dropped at the next publish, so nothing needs cleanup.
 */
import { InternalActorRef, type ActorRef } from './actor-ref.js';

export type EventClass<E> = abstract new (...args: never[]) => E;
type Subscriber = ActorRef<never> | ((event: never) => void);

export class EventStream {
  private readonly subscribers = new Map<EventClass<unknown>, Set<Subscriber>>();

  /** Subscribes to events of `eventClass` (and its subclasses); returns an unsubscribe function. */
  subscribe<E>(eventClass: EventClass<E>, subscriber: ActorRef<E> | ((event: E) => void)): () => void {
    let set = this.subscribers.get(eventClass);
    if (!set) this.subscribers.set(eventClass, (set = new Set()));
    set.add(subscriber as Subscriber);
    return () => this.unsubscribe(subscriber, eventClass);
  }

  unsubscribe<E>(subscriber: ActorRef<E> | ((event: E) => void), eventClass?: EventClass<E>): void {
    const sets = eventClass ? [this.subscribers.get(eventClass)] : [...this.subscribers.values()];
    for (const set of sets) set?.delete(subscriber as Subscriber);
  }

  publish(event: object): void {
    if (this.subscribers.size === 0) return;
    for (let proto = Object.getPrototypeOf(event); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      const set = this.subscribers.get(proto.constructor);
      if (!set) continue;
      for (const subscriber of set) {
        if (typeof subscriber === 'function') {
          subscriber(event as never);
        } else if (subscriber instanceof InternalActorRef && subscriber.isTerminated) {
          set.delete(subscriber);
        } else {
          (subscriber as ActorRef<unknown>).tell(event);
        }
      }
    }
  }
}
