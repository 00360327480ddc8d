/**
 * Who a cluster member is: the host:port it listens on plus a random incarnation uid
 * chosen at start, so a process restarted on the same port is a different member. The
 * string form `host:port#uid` is the key of a member in every map and on the wire.
 */
import { parseHostPort } from '../actor/index.js';
import { MalformedClusterMessageError } from './errors.js';

export interface NodeId {
  readonly host: string;
  readonly port: number;
  /** 48 random bits, a positive safe integer; never reused by another process in practice. */
  readonly uid: number;
}

/** `host:port#uid`, IPv6 hosts in brackets. */
export type NodeKey = string;

const MAX_UID = 2 ** 48;

export function hostPortOf(id: { readonly host: string; readonly port: number }): string {
  return id.host.includes(':') ? `[${id.host}]:${id.port}` : `${id.host}:${id.port}`;
}

export function nodeKey(id: NodeId): NodeKey {
  return `${hostPortOf(id)}#${id.uid}`;
}

export function isValidUid(uid: unknown): uid is number {
  return typeof uid === 'number' && Number.isSafeInteger(uid) && uid > 0 && uid < MAX_UID;
}

/** Reads a key that came from a peer; a malformed one is a MalformedClusterMessageError. */
export function parseNodeKey(key: unknown): NodeId {
  if (typeof key !== 'string' || key.length > 300) throw new MalformedClusterMessageError('a node key is not a short string');
  const hash = key.lastIndexOf('#');
  const uidText = key.slice(hash + 1);
  if (hash < 0 || !/^\d{1,15}$/.test(uidText)) throw new MalformedClusterMessageError('a node key has no #uid');
  const uid = Number(uidText);
  if (!isValidUid(uid)) throw new MalformedClusterMessageError('a node key has an out-of-range uid');
  let hostPort: { host: string; port: number };
  try {
    hostPort = parseHostPort(key.slice(0, hash));
  } catch {
    throw new MalformedClusterMessageError('a node key has a malformed host:port');
  }
  const id = { host: hostPort.host, port: hostPort.port, uid };
  // One spelling per member: a key that does not round-trip would name a member twice.
  if (nodeKey(id) !== key) throw new MalformedClusterMessageError('a node key is not in canonical form');
  return id;
}

export function sameHostPort(a: NodeId, b: NodeId): boolean {
  return a.port === b.port && a.host === b.host;
}
