/** The receptionist: typed service keys, listings and the registry actor. */
import { installReceptionistBinding } from '../actor/receptionist-binding.js';
import { Find, Register, type ReceptionistCommand } from './protocol.js';
import { localReceptionist } from './receptionist.js';

export { ServiceKey } from './service-key.js';
export { Listing, type ServiceInstance } from './listing.js';
export {
  Register,
  Registered,
  Deregister,
  Deregistered,
  Find,
  Subscribe,
  Unsubscribe,
  type ReceptionistCommand,
} from './protocol.js';
export { ServiceRegistry, LOCAL_NODE } from './service-registry.js';
export { ReceptionistState, localReceptionist } from './receptionist.js';

installReceptionistBinding({
  start: system => system.systemActorOf(localReceptionist(), 'receptionist'),
  register: (key, ref) => new Register(key, ref) as ReceptionistCommand,
  find: (key, replyTo) => new Find(key, replyTo) as ReceptionistCommand,
});
