/**
 * Who a node is: the system name, the host and port it listens on, and a random
 * incarnation uid chosen at start. A process restarted on the same host:port is a new
 * incarnation, so the cluster layer can tell it from its predecessor.
 */
import { randomBytes } from 'node:crypto';
import { parseHostPort, type NodeLocation } from '../actor/index.js';

export class NodeIdentity {
  constructor(
    readonly system: string,
    readonly host: string,
    readonly port: number,
    readonly uid: number,
  ) {}

  /** `host:port` (IPv6 hosts in brackets), the key of a peer in every map of this layer. */
  get hostPort(): string {
    return formatHostPort(this.host, this.port);
  }

  get location(): NodeLocation {
    return { system: this.system, host: this.host, port: this.port };
  }

  equals(other: unknown): boolean {
    return (
      other instanceof NodeIdentity &&
      other.uid === this.uid &&
      other.port === this.port &&
      other.host === this.host &&
      other.system === this.system
    );
  }

  /** `system@host:port#uid`. */
  toString(): string {
    return `${this.system}@${this.hostPort}#${this.uid}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/**
 * A fresh incarnation uid: 48 random bits (a safe integer on the wire), never 0, since 0
 * means "any incarnation" where a uid is optional.
 */
export function newIncarnationUid(): number {
  return randomBytes(6).readUIntBE(0, 6) || 1;
}

/** Why a message for an actor of an earlier incarnation of this node is a dead letter. */
export function oldIncarnationReason(addressed: number, self: number): string {
  return `addressed to incarnation ${addressed} of this node, which is no longer running (this is incarnation ${self})`;
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Parses `host:port` (or `[v6]:port`) as given in options and `remoteRef`. */
export function parseNodeAddress(text: string): { host: string; port: number } {
  return parseHostPort(text);
}
