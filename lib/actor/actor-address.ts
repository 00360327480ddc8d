/**
 * Where an actor lives: `actor://<system>@<host>:<port>/<path>#<uid>`. A system that does not
 * listen on the network has no host and port: `actor://<system>/<path>#<uid>`. The uid is
 * chosen at spawn, so a ref to a stopped actor never reaches a later actor of the same name.
 */
import { ActorSystemError } from './errors.js';

/** The address could not be parsed. */
export class InvalidActorAddressError extends ActorSystemError {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(
      `Invalid actor address ${JSON.stringify(input)}: ${reason}; ` +
        'expected actor://<system>@<host>:<port>/<path>#<uid>',
    );
  }
}

/** The part of an address shared by every actor of one system (one node). */
export interface NodeLocation {
  readonly system: string;
  readonly host?: string;
  readonly port?: number;
}

const SYSTEM_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const PATH_SEGMENT = /^[A-Za-z0-9_\-.:@$+!~*'()=,;]+$/;

export class ActorAddress {
  private text?: string;

  constructor(
    readonly system: string,
    readonly path: string,
    readonly uid: number,
    readonly host?: string,
    readonly port?: number,
  ) {}

  /** `host:port` of the node, or undefined for a system that is not on the network. */
  get hostPort(): string | undefined {
    return this.host === undefined ? undefined : `${formatHost(this.host)}:${this.port}`;
  }

  /** Actor name: the last path segment. */
  get name(): string {
    return this.path.slice(this.path.lastIndexOf('/') + 1);
  }

  toString(): string {
    if (this.text === undefined) {
      const node = this.host === undefined ? this.system : `${this.system}@${this.hostPort}`;
      this.text = `actor://${node}${this.path}#${this.uid}`;
    }
    return this.text;
  }

  toJSON(): string {
    return this.toString();
  }

  static isValidSystemName(name: string): boolean {
    return SYSTEM_NAME.test(name);
  }

  static parse(input: string): ActorAddress {
    if (typeof input !== 'string') throw new InvalidActorAddressError(String(input), 'not a string');
    if (input.length > 4096) throw new InvalidActorAddressError(input.slice(0, 64) + '…', 'longer than 4096 characters');
    if (!input.startsWith('actor://')) throw new InvalidActorAddressError(input, 'missing actor:// scheme');
    const rest = input.slice('actor://'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) throw new InvalidActorAddressError(input, 'missing path');
    const authority = rest.slice(0, slash);
    const hash = rest.lastIndexOf('#');
    if (hash < slash) throw new InvalidActorAddressError(input, 'missing #uid');
    const path = rest.slice(slash, hash);
    const uidText = rest.slice(hash + 1);
    if (!/^\d{1,16}$/.test(uidText)) throw new InvalidActorAddressError(input, 'uid is not a number');
    const uid = Number(uidText);
    if (!Number.isSafeInteger(uid)) throw new InvalidActorAddressError(input, 'uid out of range');
    const segments = path.split('/').slice(1);
    if (segments.length === 0 || segments.some(s => !PATH_SEGMENT.test(s))) {
      throw new InvalidActorAddressError(input, 'malformed path');
    }
    const at = authority.indexOf('@');
    if (at < 0) {
      if (!SYSTEM_NAME.test(authority)) throw new InvalidActorAddressError(input, 'malformed system name');
      return new ActorAddress(authority, path, uid);
    }
    const system = authority.slice(0, at);
    if (!SYSTEM_NAME.test(system)) throw new InvalidActorAddressError(input, 'malformed system name');
    const { host, port } = parseHostPort(authority.slice(at + 1), input);
    return new ActorAddress(system, path, uid, host, port);
  }
}

/** Parses `host:port` or `[v6]:port`; throws InvalidActorAddressError naming `context`. */
export function parseHostPort(text: string, context = text): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') throw new InvalidActorAddressError(context, 'malformed [host]:port');
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) throw new InvalidActorAddressError(context, 'missing host:port');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (!/^[A-Za-z0-9.\-:%]+$/.test(host)) throw new InvalidActorAddressError(context, 'malformed host');
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new InvalidActorAddressError(context, 'port must be 0-65535');
  }
  return { host, port: Number(portText) };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function isValidPathSegment(name: string): boolean {
  return PATH_SEGMENT.test(name);
}
