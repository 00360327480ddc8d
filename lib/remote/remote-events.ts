/**
 * Connection events published on the system's EventStream, for monitoring and for the
 * cluster layer (which turns them into membership decisions). Subscribe with
 * `system.eventStream.subscribe(PeerConnected, event => ...)` or with an actor.
 */
import type { ConnectionDirection } from './connection.js';
import type { NodeIdentity } from './node-identity.js';

/**
 * The first authenticated connection with this incarnation of `peer` opened (in
 * `direction`); published once per incarnation until `PeerDisconnected`. A refused or
 * spoofed handshake publishes nothing about the node it claimed to be.
 */
export class PeerConnected {
  constructor(
    readonly peer: NodeIdentity,
    readonly direction: ConnectionDirection,
  ) {}
}

/** The last authenticated connection with this incarnation of `peer` closed; `reason` says why. */
export class PeerDisconnected {
  constructor(
    readonly peer: NodeIdentity,
    readonly direction: ConnectionDirection,
    readonly reason: string,
  ) {}
}

/**
 * A connection ended before its handshake completed: the peer could not be reached, was
 * refused (system name, protocol version, secret) or misbehaved. `remote` is `host:port`
 * as dialled (outbound) or the socket's `ip:port` (inbound).
 */
export class HandshakeFailed {
  constructor(
    readonly remote: string,
    readonly direction: ConnectionDirection,
    readonly reason: string,
  ) {}
}
