/**
 * The receptionist is an ordinary actor at `/system/receptionist`. It is authoritative for
 * this node's registrations, watches every registered actor and every subscriber, and
 * removes them when they stop. Subscribers get one listing per change of their key.
 *
 * What a caller may assume: after `Registered` arrives, a Find on this node includes the ref;
 * once an actor has stopped, no later listing from this node includes it; a subscriber sees
 * the listing current at the time of Subscribe first, then the listing after each change, in
 * order (changes that arrive together are announced as one listing).
 */
import {
  Behaviors,
  Deregister,
  Deregistered,
  Find,
  Register,
  Registered,
  Subscribe,
  SupervisorStrategy,
  Terminated,
  Unsubscribe,
  describeValue,
  printable,
  type ActorContext,
  type ActorRef,
  type Behavior,
  type Listing,
  type ReceptionistCommand,
  type ServiceKey,
} from '../actor/index.js';
import { LOCAL_NODE, ServiceRegistry } from './service-registry.js';

type Subscriber = ActorRef<Listing<unknown>>;

/** What a subscription remembers: the ref, and the last listing it was sent (to skip repeats). */
interface Subscription {
  readonly ref: Subscriber;
  last?: Listing<unknown>;
}

/**
 * Sent by the receptionist to itself to announce the keys that changed. It queues behind
 * the messages already waiting, so a burst of registrations costs subscribers one listing,
 * not one per registration (which would cost O(n²) to build and deliver).
 */
export class FlushNotifications {
  static readonly instance = new FlushNotifications();
  private constructor() {}
}

/** What a receptionist holds, for tests and diagnostics. */
export interface ReceptionistStats {
  /** Keys with at least one registration. */
  readonly keys: number;
  /** Subscriptions (subscriber and key), over every key. */
  readonly subscriptions: number;
  /** Distinct subscribers. */
  readonly subscribers: number;
  /** Refs watched for their registrations or subscriptions. */
  readonly watched: number;
}

/**
 * Answers the receptionist's ReceptionistStats. Internal: not exported from the package
 * root and without a wire name, so only this process can ask.
 */
export class GetReceptionistStats {
  constructor(readonly replyTo: ActorRef<ReceptionistStats>) {}
}

/** Messages the receptionist actor accepts: the public protocol plus its own flush and stats. */
export type ReceptionistMessage = ReceptionistCommand | FlushNotifications | GetReceptionistStats;

/**
 * What a receptionist reports about its own node's entries, and asks about refs of other
 * nodes: the narrow interface through which a cluster layer follows and extends it. The
 * receptionist stays unaware of what listens.
 */
export interface ReceptionistListener {
  /** `ref`, an actor of this node, was added under `key`. */
  registered(key: ServiceKey<unknown>, ref: ActorRef<unknown>): void;
  /** `ref` was removed from `key` by a Deregister; the actor lives on. */
  deregistered(key: ServiceKey<unknown>, ref: ActorRef<unknown>): void;
  /** A registered actor of this node stopped: it is gone from every key. */
  stopped(ref: ActorRef<unknown>): void;
  /**
   * A Register or Deregister of a ref that lives on another node. Return true when it was
   * handed on (to that node's receptionist); false refuses a Register as a dead letter.
   */
  foreign?(message: Register<unknown> | Deregister<unknown>): boolean;
}

/** State of one receptionist; kept apart from the behavior so the cluster layer can drive it too. */
export class ReceptionistState {
  readonly registry = new ServiceRegistry();
  private readonly subscribers = new Map<string, { key: ServiceKey<unknown>; refs: Map<string, Subscription> }>();
  /** subscriber -> ids of the keys it follows, so a stopped actor is dropped without scanning every key. */
  private readonly keysBySubscriber = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  /** Refs this receptionist watches, with how many registrations and subscriptions keep the watch. */
  private readonly watched = new Map<string, number>();

  constructor(
    private readonly ctx: ActorContext<ReceptionistMessage>,
    private ownNode: string = LOCAL_NODE,
    private readonly listener?: ReceptionistListener,
  ) {}

  /** The label of this node's own entries in listings. */
  get node(): string {
    return this.ownNode;
  }

  /**
   * This node now goes by another label (a new incarnation): its entries are relabelled and
   * the subscribers of their keys notified.
   */
  relabel(node: string): void {
    if (node === this.ownNode) return;
    const changed = this.registry.relabelNode(this.ownNode, node);
    this.ownNode = node;
    this.notify(changed);
  }

  handle(message: ReceptionistMessage): void {
    if (message instanceof FlushNotifications) {
      this.flush();
    } else if (message instanceof Register) {
      if (!this.isOwnNode(message.ref)) {
        if (this.listener?.foreign?.(message)) return;
        // Nothing would ever remove it (this node cannot watch an actor elsewhere), and a peer
        // could fill the registry with refs to made-up nodes: the ref's own node registers it.
        this.ctx.system.deadLetter(
          message,
          this.ctx.self as ActorRef<never>,
          `a receptionist registers only actors of its own node; ${printable(message.ref.toString(), 300)} lives elsewhere: register it with its own node's receptionist`,
        );
        return;
      }
      if (this.registry.add(message.key, message.ref, this.ownNode)) {
        this.retain(message.ref);
        this.notify([message.key.id]);
        this.listener?.registered(message.key, message.ref);
      }
      message.replyTo?.tell(new Registered(message.key, message.ref));
    } else if (message instanceof Deregister) {
      if (!this.isOwnNode(message.ref)) {
        // Entries of other nodes are theirs to remove: only their owner's record changes them.
        if (this.listener?.foreign?.(message)) return;
      } else if (this.registry.remove(message.key, message.ref)) {
        this.release(message.ref);
        this.notify([message.key.id]);
        this.listener?.deregistered(message.key, message.ref);
      }
      message.replyTo?.tell(new Deregistered(message.key, message.ref));
    } else if (message instanceof Find) {
      message.replyTo.tell(this.registry.listing(message.key));
    } else if (message instanceof Subscribe) {
      this.subscribe(message.key, message.subscriber);
    } else if (message instanceof Unsubscribe) {
      if (this.dropSubscription(message.key.id, message.subscriber.toString())) this.release(message.subscriber);
    } else if (message instanceof GetReceptionistStats) {
      message.replyTo.tell(this.stats());
    } else {
      this.ctx.log.warn(`Receptionist ignored an unknown message: ${describeValue(message)}`);
    }
  }

  stats(): ReceptionistStats {
    let subscriptions = 0;
    for (const entry of this.subscribers.values()) subscriptions += entry.refs.size;
    return { keys: this.registry.keyCount, subscriptions, subscribers: this.keysBySubscriber.size, watched: this.watched.size };
  }

  private isOwnNode(ref: ActorRef<unknown>): boolean {
    const own = this.ctx.self.address;
    const address = ref.address;
    return address.system === own.system && address.host === own.host && address.port === own.port;
  }

  /** A watched actor stopped: drop its registrations and its subscriptions. */
  terminated(ref: ActorRef<never>): void {
    const id = ref.toString();
    this.watched.delete(id);
    // Only this node's entries go with a watched actor: a remote subscriber may also be listed
    // by its own node, whose record alone decides when that entry goes.
    const changed = this.isOwnNode(ref) ? this.registry.removeRef(ref) : [];
    for (const keyId of [...(this.keysBySubscriber.get(id) ?? [])]) this.dropSubscription(keyId, id);
    this.notify(changed);
    if (changed.length > 0) this.listener?.stopped(ref);
  }

  private dropSubscription(keyId: string, subscriberId: string): boolean {
    const entry = this.subscribers.get(keyId);
    if (!entry?.refs.delete(subscriberId)) return false;
    if (entry.refs.size === 0) this.subscribers.delete(keyId);
    const keys = this.keysBySubscriber.get(subscriberId)!;
    keys.delete(keyId);
    if (keys.size === 0) this.keysBySubscriber.delete(subscriberId);
    return true;
  }

  /** Marks keys as changed; their subscribers get the then current listing once the queued messages are handled. */
  notify(keyIds: Iterable<string>): void {
    const wasClean = this.dirty.size === 0;
    for (const keyId of keyIds) if (this.subscribers.has(keyId)) this.dirty.add(keyId);
    if (wasClean && this.dirty.size > 0) this.ctx.self.tell(FlushNotifications.instance);
  }

  private flush(): void {
    for (const keyId of this.dirty) {
      const entry = this.subscribers.get(keyId);
      if (!entry) continue;
      const listing = this.registry.listingById(keyId, entry.key);
      for (const subscription of entry.refs.values()) {
        if (subscription.last === listing) continue;
        subscription.last = listing;
        subscription.ref.tell(listing);
      }
    }
    this.dirty.clear();
  }

  private subscribe(key: ServiceKey<unknown>, subscriber: Subscriber): void {
    let entry = this.subscribers.get(key.id);
    if (!entry) this.subscribers.set(key.id, (entry = { key, refs: new Map() }));
    const id = subscriber.toString();
    let subscription = entry.refs.get(id);
    if (!subscription) {
      entry.refs.set(id, (subscription = { ref: subscriber }));
      let keys = this.keysBySubscriber.get(id);
      if (!keys) this.keysBySubscriber.set(id, (keys = new Set()));
      keys.add(key.id);
      this.retain(subscriber);
    }
    subscription.last = this.registry.listing(key);
    subscriber.tell(subscription.last);
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

/**
 * The behavior of a node's receptionist in a system without a cluster. Supervised to
 * resume: a message that makes a handler throw is dropped (and logged), never the registry.
 */
export function localReceptionist(): Behavior<ReceptionistMessage> {
  return Behaviors.supervise(Behaviors.setup<ReceptionistMessage>(ctx => {
    const state = new ReceptionistState(ctx, ctx.system.selfNode);
    return Behaviors.receive<ReceptionistMessage>((_ctx, message) => {
      state.handle(message);
    }).receiveSignal((_ctx, signal) => {
      if (signal instanceof Terminated) state.terminated(signal.ref);
    });
  }), SupervisorStrategy.resume());
}
