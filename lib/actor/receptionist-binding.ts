/**
 * The actor layer needs a receptionist (every system has one) but must not depend on the
 * receptionist layer above it. That layer installs this binding when it is loaded, which
 * the package root always does; the system only creates messages and starts the actor.
 */
import type { ActorRef } from './actor-ref.js';
import type { ActorSystem } from './actor-system.js';
import type { Listing, ReceptionistCommand, ServiceKey } from '../receptionist/index.js';

export interface ReceptionistBinding {
  /** Spawns the receptionist actor of `system` and returns its ref. */
  start(system: ActorSystem): ActorRef<ReceptionistCommand>;
  register<T>(key: ServiceKey<T>, ref: ActorRef<T>): ReceptionistCommand;
  find<T>(key: ServiceKey<T>, replyTo: ActorRef<Listing<T>>): ReceptionistCommand;
}

let installed: ReceptionistBinding | undefined;

export function installReceptionistBinding(binding: ReceptionistBinding): void {
  installed = binding;
}

export function receptionistBinding(): ReceptionistBinding {
  if (!installed) {
    throw new Error('No receptionist is installed: import ActorSystem from the package root, not from lib/actor');
  }
  return installed;
}
