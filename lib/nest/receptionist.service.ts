/**
 * The receptionist from a Nest provider's point of view: promises for one-off questions,
 * Observables for listings, and the ActorSystem itself for everything else.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { Deregister, Register, type ActorRef, type Deregistered, type Listing, type Registered, type ReplyOf, type ServiceKey } from '../actor/index.js';
import { ActorSystem } from '../receptionist/index.js';
import { ListingStreams } from './listing-streams.js';
import { RECEPTIONIST_ACTOR_SYSTEM } from './receptionist.constants.js';

@Injectable()
export class ReceptionistService {
  constructor(
    @Inject(RECEPTIONIST_ACTOR_SYSTEM) private readonly actorSystem: ActorSystem,
    private readonly streams: ListingStreams,
  ) {}

  /** The application's actor system: spawn actors, tell the receptionist, watch events. */
  get system(): ActorSystem {
    return this.actorSystem;
  }

  /** One snapshot of the instances registered under `key`. Default timeout: the module's `askTimeoutMs`. */
  find<T>(key: ServiceKey<T>, timeoutMs?: number): Promise<Listing<T>> {
    return this.actorSystem.lookup(key, timeoutMs);
  }

  /** Same as `find`, under the name ActorSystem uses. */
  lookup<T>(key: ServiceKey<T>, timeoutMs?: number): Promise<Listing<T>> {
    return this.find(key, timeoutMs);
  }

  /** Registers `ref` under `key`; resolves once the receptionist has acknowledged it (a later `find` includes it). */
  async register<T>(key: ServiceKey<T>, ref: ActorRef<T>, timeoutMs?: number): Promise<void> {
    await this.actorSystem.ask<Registered<T>>(this.actorSystem.receptionist, replyTo => new Register(key, ref, replyTo), timeoutMs);
  }

  /** Removes `ref` from `key` (the actor keeps running); resolves once acknowledged. */
  async deregister<T>(key: ServiceKey<T>, ref: ActorRef<T>, timeoutMs?: number): Promise<void> {
    await this.actorSystem.ask<Deregistered<T>>(this.actorSystem.receptionist, replyTo => new Deregister(key, ref, replyTo), timeoutMs);
  }

  /**
   * The listing of `key` now, then after every change. Observers of one key share one
   * receptionist subscription; the stream completes when the application shuts down.
   */
  subscribe<T>(key: ServiceKey<T>): Observable<Listing<T>> {
    return this.streams.listing(key);
  }

  /**
   * Sends the message built by `make` and resolves with the first reply sent to its `replyTo`;
   * rejects with AskTimeoutError after `timeoutMs` (default: the module's `askTimeoutMs`).
   */
  ask<Req, M extends Req>(target: ActorRef<Req>, make: (replyTo: ActorRef<ReplyOf<M>>) => M, timeoutMs?: number): Promise<ReplyOf<M>>;
  ask<Res, Req = unknown>(target: ActorRef<Req>, make: (replyTo: ActorRef<Res>) => Req, timeoutMs?: number): Promise<Res>;
  ask<Res, Req>(target: ActorRef<Req>, make: (replyTo: ActorRef<Res>) => Req, timeoutMs?: number): Promise<Res> {
    return this.actorSystem.ask<Res, Req>(target, make, timeoutMs);
  }
}
