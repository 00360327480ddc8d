/**
 * The messages cluster members exchange between their `/system/cluster` actors: small
 * classes around the state's plain data (deltas, record chunks, digests, pulls, tombstones),
 * each registered under a `cluster.*` wire name on the system that uses them. Whatever a peer
 * sent is read through the state's readers; a message that does not pass them arrives as
 * InvalidGossip, which the receiver logs and drops.
 */
import { InternalActorRef, printable, type ActorRef } from '../actor/index.js';
import type { Serialization } from '../remote/index.js';
import type { Delta, Digest, GoneMark, PullRequest } from './cluster-state.js';
import type { RecordChunk } from './record-chunks.js';
import { readDelta, readDigest, readGoneMarks, readPullRequests, readRecordChunk } from './wire-format.js';

/** The other end of every exchange: a member's cluster actor. */
export type GossipPeer = ActorRef<ClusterMessage>;

/** Changes pushed at once: deltas of records and tombstones. `ack` > 0 asks for a GossipAck with it. */
export class GossipPush {
  constructor(
    readonly from: GossipPeer,
    readonly deltas: readonly Delta[],
    readonly gone: readonly GoneMark[] = [],
    readonly ack = 0,
  ) {}
}

/** Whole records (or chunks of large ones), answering a pull or a join. */
export class GossipRecords {
  constructor(
    readonly from: GossipPeer,
    readonly chunks: readonly RecordChunk[],
  ) {}
}

/**
 * The versions the sender holds. The receiver sends back what the sender lacks and pulls what
 * it lacks itself. `join`: the sender is joining; a member that is up answers with a Welcome
 * after everything the sender lacked.
 */
export class GossipDigest {
  constructor(
    readonly from: GossipPeer,
    readonly digest: Digest,
    readonly join = false,
  ) {}
}

/** "Send me these records, newer than the versions I name." */
export class GossipPull {
  constructor(
    readonly from: GossipPeer,
    readonly requests: readonly PullRequest[],
  ) {}
}

/** After a join's records: the joiner now holds the cluster's state. */
export class GossipWelcome {
  constructor(readonly from: GossipPeer) {}
}

export class GossipAck {
  constructor(
    readonly from: GossipPeer,
    readonly ack: number,
  ) {}
}

/** An operator asks the receiving member to leave the cluster gracefully. */
export class LeaveRequest {
  constructor(readonly from: GossipPeer) {}
}

/** Stands in for a cluster message whose content did not pass the readers; never sent. */
export class InvalidGossip {
  constructor(
    readonly name: string,
    readonly reason: string,
  ) {}
}

export type ClusterMessage = GossipPush | GossipRecords | GossipDigest | GossipPull | GossipWelcome | GossipAck | LeaveRequest | InvalidGossip;

function fields(data: unknown, length: number): unknown[] {
  if (!Array.isArray(data) || data.length !== length) throw new TypeError(`expected a list of ${length}`);
  if (!(data[0] instanceof InternalActorRef)) throw new TypeError('the sender is not an actor ref');
  return data;
}

function ackId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new TypeError('an ack id is not a whole number');
  return value;
}

function flag(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError('a flag is not a boolean');
  return value;
}

function list(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new TypeError('expected a list');
  return value;
}

/**
 * A codec whose reading never throws: peer data that fails the readers becomes InvalidGossip
 * with the reader's reason (the readers' texts quote no peer data beyond numbers).
 */
function codec<T extends object>(name: string, toWire: (m: T) => unknown[], read: (data: unknown) => T) {
  return {
    name,
    codec: {
      toWire,
      fromWire: (data: unknown): T => {
        try {
          return read(data);
        } catch (error) {
          const reason = error instanceof Error && typeof error.message === 'string' ? printable(error.message, 300) : 'unreadable';
          return new InvalidGossip(name, reason) as unknown as T;
        }
      },
    },
  };
}

/** Registers the cluster's wire classes with one system's serializer. */
export function registerClusterMessages(serialization: Serialization): void {
  serialization.register(
    GossipPush,
    codec<GossipPush>(
      'cluster.Gossip',
      m => [m.from, m.deltas, m.gone, m.ack],
      d => {
        const [from, deltas, gone, ack] = fields(d, 4);
        return new GossipPush(from as GossipPeer, list(deltas).map(readDelta), readGoneMarks(gone), ackId(ack));
      },
    ),
  );
  serialization.register(
    GossipRecords,
    codec<GossipRecords>(
      'cluster.Records',
      m => [m.from, m.chunks],
      d => {
        const [from, chunks] = fields(d, 2);
        return new GossipRecords(from as GossipPeer, list(chunks).map(readRecordChunk));
      },
    ),
  );
  serialization.register(
    GossipDigest,
    codec<GossipDigest>(
      'cluster.Digest',
      m => [m.from, m.digest, m.join],
      d => {
        const [from, digest, join] = fields(d, 3);
        return new GossipDigest(from as GossipPeer, readDigest(digest), flag(join));
      },
    ),
  );
  serialization.register(
    GossipPull,
    codec<GossipPull>(
      'cluster.Pull',
      m => [m.from, m.requests],
      d => {
        const [from, requests] = fields(d, 2);
        return new GossipPull(from as GossipPeer, readPullRequests(requests));
      },
    ),
  );
  serialization.register(
    GossipWelcome,
    codec<GossipWelcome>(
      'cluster.Welcome',
      m => [m.from],
      d => new GossipWelcome(fields(d, 1)[0] as GossipPeer),
    ),
  );
  serialization.register(
    GossipAck,
    codec<GossipAck>(
      'cluster.Ack',
      m => [m.from, m.ack],
      d => {
        const [from, ack] = fields(d, 2);
        return new GossipAck(from as GossipPeer, ackId(ack));
      },
    ),
  );
  serialization.register(
    LeaveRequest,
    codec<LeaveRequest>(
      'cluster.Leave',
      m => [m.from],
      d => new LeaveRequest(fields(d, 1)[0] as GossipPeer),
    ),
  );
}
