/**
 * Which local actors a remote peer may message. Being authenticated proves a peer shares
 * the secret, not that it may drive this node's internals: by default remote messages reach
 * the application's actors (`/user`), the receptionist, and ask replies (`/temp`, whose
 * unguessable uid is checked on lookup). Layers above add their own endpoints (the cluster
 * its gossip actors); the `remoteDeliveryPaths` option widens it for an application.
 */

/** Paths remote peers may deliver to by default; each entry covers the path and everything below it. */
export const DEFAULT_REMOTE_DELIVERY_PATHS: readonly string[] = ['/user', '/system/receptionist', '/temp'];

export class RemoteDeliveryPolicy {
  private readonly roots = new Set<string>();
  /** The path last allowed: most messages go to the path the one before went to. */
  private lastAllowed = '';

  constructor(paths: Iterable<string> = DEFAULT_REMOTE_DELIVERY_PATHS) {
    for (const path of paths) this.allow(path);
  }

  /** Lets remote peers message the actor at `path` and its descendants. */
  allow(path: string): void {
    if (typeof path !== 'string' || !path.startsWith('/') || path.length < 2) {
      throw new TypeError(`A remote delivery path is an actor path such as /system/my-endpoint, got ${JSON.stringify(path)}`);
    }
    this.roots.add(path.endsWith('/') ? path.slice(0, -1) : path);
  }

  /** True when a remote peer may deliver to `path`. */
  allows(path: string): boolean {
    // Paths are only ever added: an allowed path stays allowed.
    if (path === this.lastAllowed) return true;
    // Walk up the path: at most as many lookups as it has segments.
    for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
      if (this.roots.has(end === path.length ? path : path.slice(0, end))) {
        this.lastAllowed = path;
        return true;
      }
    }
    return false;
  }
}
