/**
 * The receptionist of a cluster member: the local receptionist's state and protocol, plus
 * other nodes' entries applied from the replicated state. Its own entries are reported to
 * the cluster through ReceptionistState's listener; what changed elsewhere arrives as
 * RegistryUpdate messages, handled in the same loop as Register and Find, so a listing never
 * shows half of an update. The receptionist state itself knows nothing of the cluster.
 */
import {
  Behaviors,
  SupervisorStrategy,
  Terminated,
  type ActorRef,
  type Behavior,
  type ReceptionistCommand,
  type ServiceKey,
} from '../actor/index.js';
import { ReceptionistState, type ReceptionistListener, type ReceptionistMessage } from '../receptionist/index.js';

/** One entry of another node, with its ref already resolved for that node's incarnation. */
export interface RemoteEntry {
  /** The owner: `host:port#uid`. */
  readonly node: string;
  /** The owner's id of the entry, which names it in later removals. */
  readonly id: number;
  readonly key: ServiceKey<unknown>;
  readonly ref: ActorRef<unknown>;
}

/**
 * Other nodes' entries that changed, from the cluster to the receptionist. Local only: it has
 * no wire name, so no peer can send one. Applied in field order.
 */
export class RegistryUpdate {
  constructor(
    readonly removed: readonly { readonly node: string; readonly id: number }[] = [],
    /** Nodes that are gone (downed, removed): every entry of theirs goes. */
    readonly removedNodes: readonly string[] = [],
    readonly added: readonly RemoteEntry[] = [],
    readonly reachability: readonly (readonly [node: string, reachable: boolean])[] = [],
    /** This node's own label, when it took a new incarnation. */
    readonly relabel?: string,
    /** Drop every other node's entries (this node left the cluster). */
    readonly clear = false,
  ) {}
}

/** What the cluster receptionist needs from the cluster. */
export interface ClusterRegistryPort {
  /** Hears this node's own entry changes, and forwards registrations of refs on other members. */
  readonly listener: ReceptionistListener;
  /** The receptionist started: updates go to `receptionist`, beginning with everything known so far. */
  attach(receptionist: ActorRef<RegistryUpdate>): void;
}

type Message = ReceptionistMessage | RegistryUpdate;

export function clusterReceptionist(port: ClusterRegistryPort): Behavior<ReceptionistCommand> {
  const behavior = Behaviors.supervise(
    Behaviors.setup<Message>(ctx => {
      const state = new ReceptionistState(ctx as never, ctx.system.selfNode, port.listener);
      /** node -> entry id -> the entry as added, so a removal finds the very ref it added. */
      const remote = new Map<string, Map<number, RemoteEntry>>();
      port.attach(ctx.self as ActorRef<RegistryUpdate>);

      const apply = (update: RegistryUpdate): void => {
        const registry = state.registry;
        const changed = new Set<string>();
        const mark = (keys: Iterable<string>) => {
          for (const key of keys) changed.add(key);
        };
        if (update.clear) {
          for (const node of remote.keys()) mark(registry.removeNode(node));
          remote.clear();
        }
        for (const { node, id } of update.removed) {
          const entries = remote.get(node);
          const entry = entries?.get(id);
          if (!entry) continue;
          entries!.delete(id);
          if (entries!.size === 0) remote.delete(node);
          // The same actor may be listed meanwhile by a newer incarnation of its node (a rejoin): that entry stays.
          if (registry.nodeOf(entry.key, entry.ref) === node && registry.remove(entry.key, entry.ref)) changed.add(entry.key.id);
        }
        for (const node of update.removedNodes) {
          remote.delete(node);
          mark(registry.removeNode(node));
        }
        for (const entry of update.added) {
          let entries = remote.get(entry.node);
          if (!entries) remote.set(entry.node, (entries = new Map()));
          entries.set(entry.id, entry);
          if (registry.add(entry.key, entry.ref, entry.node)) {
            changed.add(entry.key.id);
          } else if (registry.nodeOf(entry.key, entry.ref) !== entry.node) {
            // Listed by another incarnation of the same host:port, which is on its way out: the newer record lists it now.
            registry.remove(entry.key, entry.ref);
            registry.add(entry.key, entry.ref, entry.node);
            changed.add(entry.key.id);
          }
        }
        for (const [node, reachable] of update.reachability) mark(registry.setReachable(node, reachable));
        state.notify(changed);
        if (update.relabel !== undefined) state.relabel(update.relabel);
      };

      return Behaviors.receive<Message>((_ctx, message) => {
        if (message instanceof RegistryUpdate) apply(message);
        else state.handle(message);
      }).receiveSignal((_ctx, signal) => {
        if (signal instanceof Terminated) state.terminated(signal.ref);
      });
    }),
    SupervisorStrategy.resume(),
  );
  return behavior as unknown as Behavior<ReceptionistCommand>;
}
