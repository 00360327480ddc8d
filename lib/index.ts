/**
 * Public API of the package: the actor runtime, the receptionist and the Nest module.
 * The receptionist layer is imported here so every ActorSystem gets its receptionist.
 */
export * from './actor/index.js';
export * from './receptionist/index.js';
export * from './remote/index.js';
export * from './nest/index.js';
