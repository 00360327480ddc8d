/**
 * The handshake every connection starts with, in four frames:
 *
 *   connecting side                      accepting side
 *   Hello   {v, system, node, nonceC}  ->
 *                                      <-  Welcome {v, system, node, nonceS, proofS?}
 *   Auth    {proofC?}                  ->
 *                                      <-  Accept {}            (or Reject {reason} at any step)
 *
 * Without a secret the proofs are absent. With one, each side proves it knows the secret
 * with HMAC-SHA256 over both nonces, both identities and a direction label, so the secret
 * never crosses the wire, a proof cannot be replayed on another connection, and the
 * accepting side's proof cannot be reflected back as the connecting side's. Both sides
 * must hold the same secret: a node with a secret refuses a peer without one, and the
 * other way round. No actor message is accepted before Accept.
 *
 * The secret authenticates peers; it neither encrypts nor signs later frames. Run nodes on
 * a private network (or a TLS tunnel) when the network itself is not trusted.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ActorAddress, describeValue, printable } from '../actor/index.js';
import { MalformedFrameError } from './errors.js';
import { FRAME_HEADER_BYTES, FrameKind, writeFrameHeader } from './frame-codec.js';
import { MsgpackGuard } from './msgpack-guard.js';
import { msgpackr } from './msgpackr.js';
import { NodeIdentity } from './node-identity.js';

/**
 * Version of the wire protocol; nodes refuse peers that speak another one.
 * 2: replies to asks and ask refs name the ask by id (a negative integer where a path stands).
 */
export const PROTOCOL_VERSION = 2;

export const NONCE_BYTES = 16;
const PROOF_BYTES = 32;
const HOST = /^[A-Za-z0-9.\-:%]{1,255}$/;

export interface HelloMessage {
  readonly version: number;
  readonly system: string;
  readonly node: NodeIdentity;
  readonly nonce: Uint8Array;
  readonly maxFrameSize: number;
}

export interface WelcomeMessage extends HelloMessage {
  readonly proof?: Uint8Array;
}

export interface AuthMessage {
  readonly proof?: Uint8Array;
}

// Handshake frames are small maps of primitives; no extension is meaningful here.
const packr = new msgpackr.Packr({ useRecords: false, moreTypes: false });
// msgpackr decodes structured-clone references unless this is exactly false.
const unpackr = new msgpackr.Unpackr({ useRecords: false, mapsAsObjects: true, copyBuffers: true, structuredClone: false });
/** Before authentication: one flat-ish map of primitives and bytes, nothing that costs more than its size. */
const guard = new MsgpackGuard({ maxDepth: 4, records: false, extensions: false, structuredClone: false, mapsAsObjects: true });
const { RESERVE_START_SPACE } = msgpackr;

function frame(kind: number, body: Record<string, unknown>): Buffer {
  return writeFrameHeader(Buffer.from(packr.pack(body, RESERVE_START_SPACE | FRAME_HEADER_BYTES) as Uint8Array), kind);
}

export function encodeHello(m: HelloMessage): Buffer {
  return frame(FrameKind.Hello, helloFields(m));
}

export function encodeWelcome(m: WelcomeMessage): Buffer {
  const fields = helloFields(m);
  if (m.proof) fields.proof = m.proof;
  return frame(FrameKind.Welcome, fields);
}

export function encodeAuth(m: AuthMessage): Buffer {
  return frame(FrameKind.Auth, m.proof ? { proof: m.proof } : {});
}

export function encodeAccept(): Buffer {
  return frame(FrameKind.Accept, {});
}

/**
 * A refusal. `busy` says the node had no room for another handshake right now, so the
 * dialler retries soon instead of treating it as a configuration mismatch; nodes that do
 * not know the field ignore it.
 */
export function encodeReject(reason: string, busy = false): Buffer {
  return frame(FrameKind.Reject, busy ? { reason: reason.slice(0, 1000), busy: true } : { reason: reason.slice(0, 1000) });
}

function helloFields(m: HelloMessage): Record<string, unknown> {
  return {
    v: m.version,
    system: m.system,
    host: m.node.host,
    port: m.node.port,
    uid: m.node.uid,
    nonce: m.nonce,
    maxFrame: m.maxFrameSize,
  };
}

function decodeMap(buffer: Buffer, start: number, end: number, what: string): Record<string, unknown> {
  // Throws MalformedFrameError, before msgpackr sees a byte.
  const reserved = guard.check(buffer, start, end);
  if (reserved !== undefined) throw new MalformedFrameError(`${what} with the reserved key "${reserved}"`);
  let value: unknown;
  try {
    value = unpackr.unpack(buffer, { start, end });
  } catch (error) {
    const text = error instanceof Error && typeof error.message === 'string' ? printable(error.message, 80) : describeValue(error);
    throw new MalformedFrameError(`undecodable ${what} (${text})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new MalformedFrameError(`${what} is not a map`);
  }
  return value as Record<string, unknown>;
}

/** Reads only the version, so a peer of another version gets a precise refusal, whatever else it sent. */
export function readVersion(fields: Record<string, unknown>): number | undefined {
  return typeof fields.v === 'number' && Number.isInteger(fields.v) ? fields.v : undefined;
}

export function decodeHelloFields(buffer: Buffer, start: number, end: number, what = 'Hello'): Record<string, unknown> {
  return decodeMap(buffer, start, end, what);
}

/** Validates a Hello/Welcome map (after the version was checked). */
export function parseHello(fields: Record<string, unknown>, what = 'Hello'): WelcomeMessage {
  const { v, system, host, port, uid, nonce, maxFrame, proof } = fields;
  if (typeof v !== 'number') throw new MalformedFrameError(`${what} without a protocol version`);
  if (typeof system !== 'string' || !ActorAddress.isValidSystemName(system)) throw new MalformedFrameError(`${what} with a malformed system name`);
  if (typeof host !== 'string' || !HOST.test(host)) throw new MalformedFrameError(`${what} with a malformed host`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new MalformedFrameError(`${what} with a malformed port`);
  if (typeof uid !== 'number' || !Number.isSafeInteger(uid) || uid <= 0) throw new MalformedFrameError(`${what} with a malformed incarnation uid`);
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_BYTES) throw new MalformedFrameError(`${what} with a malformed nonce`);
  if (typeof maxFrame !== 'number' || !Number.isInteger(maxFrame) || maxFrame < 1024) throw new MalformedFrameError(`${what} with a malformed maxFrameSize`);
  if (proof !== undefined && (!(proof instanceof Uint8Array) || proof.length !== PROOF_BYTES)) throw new MalformedFrameError(`${what} with a malformed proof`);
  return {
    version: v,
    system,
    node: new NodeIdentity(system, host, port, uid),
    nonce,
    maxFrameSize: maxFrame,
    proof: proof as Uint8Array | undefined,
  };
}

export function decodeAuth(buffer: Buffer, start: number, end: number): AuthMessage {
  const { proof } = decodeMap(buffer, start, end, 'Auth');
  if (proof !== undefined && (!(proof instanceof Uint8Array) || proof.length !== PROOF_BYTES)) throw new MalformedFrameError('Auth with a malformed proof');
  return { proof: proof as Uint8Array | undefined };
}

export interface RejectMessage {
  readonly reason: string;
  readonly busy: boolean;
}

export function decodeReject(buffer: Buffer, start: number, end: number): RejectMessage {
  const { reason, busy } = decodeMap(buffer, start, end, 'Reject');
  return { reason: typeof reason === 'string' ? printable(reason, 1000) : 'no reason given', busy: busy === true };
}

export function newNonce(): Uint8Array {
  return randomBytes(NONCE_BYTES);
}

export type ProofRole = 'accepting' | 'connecting';

/**
 * HMAC-SHA256 of the handshake transcript: the role that proves, both nonces and both
 * identities. Binding all of them makes each proof valid for exactly one side of one connection.
 */
export function computeProof(
  secret: Uint8Array,
  role: ProofRole,
  connecting: { node: NodeIdentity; nonce: Uint8Array },
  accepting: { node: NodeIdentity; nonce: Uint8Array },
): Buffer {
  const hmac = createHmac('sha256', secret);
  hmac.update(`actor-remote/${PROTOCOL_VERSION}/${role}\n`);
  hmac.update(connecting.nonce);
  hmac.update(accepting.nonce);
  hmac.update(`\n${connecting.node.toString()}\n${accepting.node.toString()}`);
  return hmac.digest();
}

export function proofMatches(expected: Buffer, actual: Uint8Array | undefined): boolean {
  return actual !== undefined && actual.length === expected.length && timingSafeEqual(expected, actual);
}
