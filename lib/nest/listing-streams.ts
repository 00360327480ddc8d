/**
 * Turns receptionist subscriptions into Observables: one subscriber actor per key while
 * anyone listens, shared by every Observer of that key, replaying the latest listing to late
 * ones. Streams complete when the actor system terminates (the subscriber actor stops).
 */
import { Inject, Injectable } from '@nestjs/common';
import { Observable, ReplaySubject, share } from 'rxjs';
import { Behaviors, Listing, PostStop, Subscribe, Unsubscribe, type ServiceKey } from '../actor/index.js';
import { ActorSystem } from '../receptionist/index.js';
import { RECEPTIONIST_ACTOR_SYSTEM } from './receptionist.constants.js';

@Injectable()
export class ListingStreams {
  private readonly streams = new Map<string, Observable<Listing<unknown>>>();
  private actorCounter = 0;

  constructor(@Inject(RECEPTIONIST_ACTOR_SYSTEM) private readonly system: ActorSystem) {}

  /** The current listing of `key` at once, then one per change; completes when the system terminates. */
  listing<T>(key: ServiceKey<T>): Observable<Listing<T>> {
    let stream = this.streams.get(key.id);
    if (!stream) {
      stream = this.subscribeToReceptionist(key as ServiceKey<unknown>).pipe(
        // One receptionist subscription per key while there are Observers; a fresh one (and a
        // fresh "current listing first") after the last Observer has left or the stream completed.
        share({
          connector: () => new ReplaySubject<Listing<unknown>>(1),
          resetOnError: true,
          resetOnComplete: true,
          resetOnRefCountZero: true,
        }),
      );
      this.streams.set(key.id, stream);
    }
    return stream as Observable<Listing<T>>;
  }

  private subscribeToReceptionist(key: ServiceKey<unknown>): Observable<Listing<unknown>> {
    return new Observable<Listing<unknown>>(observer => {
      const system = this.system;
      if (system.isTerminated) {
        observer.complete();
        return undefined;
      }
      let stopped = false;
      // A system actor, so it outlives the application's own actors at termination and still
      // delivers the listings that drop them before the stream completes.
      const ref = system.systemActorOf(
        Behaviors.receive<Listing<unknown>>((ctx, listing) => {
          // Only the listings of this key reach the application, whoever else names this actor.
          if (listing instanceof Listing && listing.key.id === key.id) observer.next(listing);
          else ctx.log.warn(`Listing stream of ${key.id} ignored a message that is not its listing`);
        }).receiveSignal((_ctx, signal) => {
          if (signal instanceof PostStop) {
            stopped = true;
            observer.complete();
          }
        }),
        `listing-${actorNameFragment(key.id)}-${++this.actorCounter}`,
      );
      system.receptionist.tell(new Subscribe(key, ref));
      return () => {
        if (stopped || system.isTerminated) return;
        stopped = true;
        system.receptionist.tell(new Unsubscribe(key, ref));
        system.stop(ref);
      };
    });
  }
}

/** Keeps a key id readable inside an actor name, replacing what a path segment cannot hold. */
function actorNameFragment(id: string): string {
  return id.replace(/[^A-Za-z0-9_\-.]/g, '_').slice(0, 64);
}
