/**
 * The receptionist's messages: small immutable classes, each naming the reply it sends.
 */
import type { ActorRef } from './actor-ref.js';
import type { Listing } from './listing.js';
import type { ServiceKey } from './service-key.js';

/** Adds `ref` under `key`; idempotent. With `replyTo`, acknowledged by `Registered`. */
export class Register<T> {
  constructor(
    readonly key: ServiceKey<T>,
    readonly ref: ActorRef<T>,
    readonly replyTo?: ActorRef<Registered<T>>,
  ) {}
}

export class Registered<T> {
  constructor(
    readonly key: ServiceKey<T>,
    readonly ref: ActorRef<T>,
  ) {}
}

/** Removes `ref` from `key` (the actor keeps running). With `replyTo`, acknowledged by `Deregistered`. */
export class Deregister<T> {
  constructor(
    readonly key: ServiceKey<T>,
    readonly ref: ActorRef<T>,
    readonly replyTo?: ActorRef<Deregistered<T>>,
  ) {}
}

export class Deregistered<T> {
  constructor(
    readonly key: ServiceKey<T>,
    readonly ref: ActorRef<T>,
  ) {}
}

/** Answers one `Listing` of `key` to `replyTo`. */
export class Find<T> {
  constructor(
    readonly key: ServiceKey<T>,
    readonly replyTo: ActorRef<Listing<T>>,
  ) {}
}

/** Sends `subscriber` the current listing of `key` at once, then a new one after every change. */
export class Subscribe<T> {
  constructor(
    readonly key: ServiceKey<T>,
    readonly subscriber: ActorRef<Listing<T>>,
  ) {}
}

export class Unsubscribe<T> {
  constructor(
    readonly key: ServiceKey<T>,
    readonly subscriber: ActorRef<Listing<T>>,
  ) {}
}

export type ReceptionistCommand =
  | Register<unknown>
  | Deregister<unknown>
  | Find<unknown>
  | Subscribe<unknown>
  | Unsubscribe<unknown>;
