/**
 * A typed name for a service. Two keys with the same id are the same key; the type
 * parameter only travels at compile time, so `Listing<T>` hands back `ActorRef<T>`.
 */
export class ServiceKey<T> {
  /** Phantom field carrying the message type; never set. */
  declare readonly __messageType?: T;

  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) {
      throw new TypeError(`A ServiceKey id must be a non-empty string of at most 256 characters, got ${JSON.stringify(id)}`);
    }
  }

  static of<T>(id: string): ServiceKey<T> {
    return new ServiceKey<T>(id);
  }

  equals(other: unknown): boolean {
    return other instanceof ServiceKey && other.id === this.id;
  }

  toString(): string {
    return `ServiceKey(${this.id})`;
  }
}
