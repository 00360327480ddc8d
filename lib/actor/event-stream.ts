/**
 * Publish/subscribe by event class inside one system. Subscribers are actors or plain
 * callbacks; a stopped actor is dropped at the next publish, so nothing needs cleanup.
 * A callback runs under its own guard: events are published from deep inside the runtime
 * (dead letters, socket handlers, timers), so a throwing subscriber must never break the
 * publisher. Its failure is reported, and after a few in a row it is unsubscribed.
 */
import { InternalActorRef, type ActorRef } from './actor-ref.js';

export type EventClass<E> = abstract new (...args: never[]) => E;
type Subscriber = ActorRef<never> | ((event: never) => void);

/** Consecutive failures after which a callback subscriber is removed. */
export const SUBSCRIBER_FAILURE_LIMIT = 3;

/** Told about a subscriber that threw: `removed` once it reached the failure limit. */
export type SubscriberFailureHandler = (error: unknown, event: object, failures: number, removed: boolean) => void;

export class EventStream {
  private readonly subscribers = new Map<EventClass<unknown>, Set<Subscriber>>();
  private readonly failures = new Map<Subscriber, number>();

  constructor(private readonly onSubscriberFailure: SubscriberFailureHandler = () => {}) {}

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
          this.call(subscriber, event, set);
        } else if (subscriber instanceof InternalActorRef && subscriber.isTerminated) {
          set.delete(subscriber);
        } else {
          (subscriber as ActorRef<unknown>).tell(event);
        }
      }
    }
  }

  private call(subscriber: (event: never) => void, event: object, set: Set<Subscriber>): void {
    try {
      subscriber(event as never);
      if (this.failures.size > 0) this.failures.delete(subscriber);
    } catch (error) {
      const failures = (this.failures.get(subscriber) ?? 0) + 1;
      const removed = failures >= SUBSCRIBER_FAILURE_LIMIT;
      if (removed) {
        this.failures.delete(subscriber);
        set.delete(subscriber);
      } else {
        this.failures.set(subscriber, failures);
      }
      try {
        this.onSubscriberFailure(error, event, failures, removed);
      } catch {
        // Reporting must not fail the publisher either.
      }
    }
  }
}
