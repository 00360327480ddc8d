/** The receptionist: the registry actor of each node, and the system that comes with it. */
export { ActorSystem } from './actor-system.js';
export { ServiceRegistry, LOCAL_NODE } from './service-registry.js';
export { ReceptionistState, localReceptionist, type ReceptionistListener, type ReceptionistMessage } from './receptionist.js';
