import { ActorSystemError } from '../../actor/index.js';

/** `@Discoverable` is used where no actor can be made of it (no key, no receive method, a static method…). */
export class InvalidDiscoverableError extends ActorSystemError {}
