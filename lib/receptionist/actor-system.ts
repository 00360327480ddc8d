/**
 * `ActorSystem`, the embedded default: the actor runtime with this layer's local receptionist
 * plugged into its port. One process, no network, no configuration; the networked systems
 * extend it and keep the same API.
 */
import { ActorSystemCore, type ActorSystemOptions, type NodeLocation, type ReceptionistCommand, type Behavior } from '../actor/index.js';
import { localReceptionist } from './receptionist.js';

const local = (): Behavior<ReceptionistCommand> => localReceptionist() as Behavior<ReceptionistCommand>;

export class ActorSystem extends ActorSystemCore {
  /** Creates a single-process system (no network). */
  static create(name: string, options: ActorSystemOptions = {}): ActorSystem {
    const system = new ActorSystem({ system: name }, options);
    system.startSystemActors();
    return system;
  }

  protected constructor(location: NodeLocation, options: ActorSystemOptions) {
    super(location, { receptionist: local, ...options });
  }
}
