/**
 * The receptionist is an ordinary actor at `/system/receptionist`. It is authoritative for
 * this node's registrations, watches every registered actor and every subscriber, and
 * removes them when they stop. Subscribers get one listing per change of their key.
 *
 * What a caller may assume: after `Registered` arrives, a Find on this node includes the ref;
 * once an actor has stopped, no later listing from this node includes it; a subscriber sees
 * the listing current at the time of Subscribe first, then each change in order.
 */
import { Behaviors, Terminated, type ActorContext, type ActorRef, type Behavior } from '../actor/index.js';
import type { Listing } from './listing.js';
import {
  Deregister,
  Deregistered,
  Find,
  Register,
  Registered,
  Subscribe,
  Unsubscribe,
  type ReceptionistCommand,
} from './protocol.js';
import { LOCAL_NODE, ServiceRegistry } from './service-registry.js';
import type { ServiceKey } from './service-key.js';

type Subscriber = ActorRef<Listing<unknown>>;

/** State of one receptionist; kept apart from the behavior so the cluster layer can drive it too. */
export class ReceptionistState {
  readonly registry = new ServiceRegistry();
  private readonly subscribers = new Map<string, { key: ServiceKey<unknown>; refs: Map<string, Subscriber> }>();
  /** Refs this receptionist watches, with how many registrations and subscriptions keep the watch. */
  private readonly watched = new Map<string, number>();

  constructor(
    private readonly ctx: ActorContext<ReceptionistCommand>,
    readonly node: string = LOCAL_NODE,
  ) {}

  handle(message: ReceptionistCommand): void {
    if (message instanceof Register) {
      if (this.registry.add(message.key, message.ref, this.node)) {
        this.retain(message.ref);
        this.notify([message.key.id]);
      }
      message.replyTo?.tell(new Registered(message.key, message.ref));
    } else if (message instanceof Deregister) {
      if (this.registry.remove(message.key, message.ref)) {
        this.release(message.ref);
        this.notify([message.key.id]);
      }
      message.replyTo?.tell(new Deregistered(message.key, message.ref));
    } else if (message instanceof Find) {
      message.replyTo.tell(this.registry.listing(message.key));
    } else if (message instanceof Subscribe) {
      this.subscribe(message.key, message.subscriber);
    } else if (message instanceof Unsubscribe) {
      const entry = this.subscribers.get(message.key.id);
      if (entry?.refs.delete(message.subscriber.toString())) {
        this.release(message.subscriber);
        if (entry.refs.size === 0) this.subscribers.delete(message.key.id);
      }
    } else {
      this.ctx.log.warn(`Receptionist ignored an unknown message: ${String((message as object)?.constructor?.name ?? message)}`);
    }
  }

  /** A watched actor stopped: drop its registrations and its subscriptions. */
  terminated(ref: ActorRef<never>): void {
    const id = ref.toString();
    this.watched.delete(id);
    const changed = this.registry.removeRef(ref);
    for (const [keyId, entry] of this.subscribers) {
      entry.refs.delete(id);
      if (entry.refs.size === 0) this.subscribers.delete(keyId);
    }
    this.notify(changed);
  }

  /** Sends the current listing of each changed key to its subscribers. */
  notify(keyIds: Iterable<string>): void {
    for (const keyId of keyIds) {
      const entry = this.subscribers.get(keyId);
      if (!entry) continue;
      const listing = this.registry.listingById(keyId, entry.key);
      for (const subscriber of entry.refs.values()) subscriber.tell(listing);
    }
  }

  private subscribe(key: ServiceKey<unknown>, subscriber: Subscriber): void {
    let entry = this.subscribers.get(key.id);
    if (!entry) this.subscribers.set(key.id, (entry = { key, refs: new Map() }));
    const id = subscriber.toString();
    if (!entry.refs.has(id)) {
      entry.refs.set(id, subscriber);
      this.retain(subscriber);
    }
    subscriber.tell(this.registry.listing(key));
  }

  private retain(ref: ActorRef<unknown>): void {
    const id = ref.toString();
    const count = this.watched.get(id) ?? 0;
    this.watched.set(id, count + 1);
    if (count === 0) this.ctx.watch(ref as ActorRef<never>);
  }

  private release(ref: ActorRef<unknown>): void {
    const id = ref.toString();
    const count = this.watched.get(id) ?? 0;
    if (count <= 1) {
      this.watched.delete(id);
      if (count === 1) this.ctx.unwatch(ref as ActorRef<never>);
    } else {
      this.watched.set(id, count - 1);
    }
  }
}

/** The behavior of a node's receptionist in a system without a cluster. */
export function localReceptionist(): Behavior<ReceptionistCommand> {
  return Behaviors.setup<ReceptionistCommand>(ctx => {
    const state = new ReceptionistState(ctx);
    return Behaviors.receive<ReceptionistCommand>((_ctx, message) => {
      state.handle(message);
    }).receiveSignal((_ctx, signal) => {
      if (signal instanceof Terminated) state.terminated(signal.ref);
    });
  });
}
