/**
 * The replicated cluster state: one record per node incarnation (its status, its service
 * entries, whom it cannot reach), written only by its owner and merged by version on every
 * other node. The registry is part of the records, so it rides the same deltas, digests and
 * merges as membership. No I/O and no timers: the caller moves the messages, the clock is
 * injected.
 *
 * What a caller may assume
 *
 * - After `register` returns, the entry is in this node's own record, under a new version.
 *   Other nodes learn it when the returned delta (or a later anti-entropy exchange) reaches
 *   them. There is no moment when "the cluster" has it and nothing is acknowledged: a
 *   registration is announced, not agreed.
 * - What a node holds of another node's record is always a version that the owner really
 *   had, whole: never half of one version and half of the next, never an entry the owner had
 *   removed by that version. The versions a node holds only go up. So once a node has seen
 *   an entry removed, no late, duplicated or reordered message can bring it back.
 * - Merging is a union with "higher version wins" per record and "gone wins" over every
 *   version: nodes that received the same messages hold the same state, whatever the order
 *   and however many duplicates. Anti-entropy (digests) makes any two nodes exchange what
 *   the other lacks, so when changes stop and links work, every node converges.
 * - During a partition each side keeps the entries it last knew of the other side (the
 *   membership rules mark those nodes unreachable; only `down` removes them), and each
 *   owner keeps registering. When the partition heals the sides exchange digests; nothing
 *   an owner wrote is lost by the merge. A node the other side marked down rejoins under a
 *   new uid (`reincarnate`), with its entries.
 * - When an incarnation is marked down, or leaves (status removed), its record goes in one
 *   step on every node that learns it: all its entries at once. Its uid is kept as a
 *   tombstone for `tombstoneTtlMs`, and until then nothing about that incarnation (record,
 *   delta, digest line) is accepted again. The tombstone's age travels with it, so a
 *   tombstone expires on every node at about the same time and gossip cannot renew it.
 * - Only one process can listen on a host:port. A record of another incarnation of this
 *   node's own host:port is therefore stale: this node marks it down (`supersede` does the
 *   same for whoever completed a handshake with the new incarnation).
 *
 * Not promised: any order between changes of two owners; that an entry survives its
 * owner; that `down` was right (it is a decision of the failure detector, and a live node
 * that was downed comes back as a new incarnation).
 *
 * Everything that crosses the wire (Delta, RecordSnapshot, Digest, GoneMark, PullRequest)
 * is plain data: strings, numbers, arrays and plain objects, so msgpack carries it as is.
 * `v` is the format's major version; later minor versions only add optional fields, which
 * older nodes ignore (wire-format.ts reads only the fields it knows).
 */
import { InvalidStatusTransitionError } from './errors.js';
import { nodeKey, parseNodeKey, sameHostPort, type NodeId, type NodeKey } from './node-id.js';

/** Major version of the state's wire format. */
export const CLUSTER_STATE_VERSION = 1;

export type MemberStatus = 'joining' | 'up' | 'leaving' | 'down' | 'removed';
/** The two ways an incarnation ends: decided by others (down) or announced by itself (removed). */
export type GoneReason = 'down' | 'removed';

export const MEMBER_STATUSES: readonly MemberStatus[] = ['joining', 'up', 'leaving', 'down', 'removed'];

/** One registration: `ref` (a serialized ActorRef, opaque here) under service key `key`. */
export interface ServiceEntry {
  /** Chosen by the owner, unique within its incarnation and never reused, so removal names it. */
  readonly id: number;
  readonly key: string;
  readonly ref: string;
}

/**
 * A change of one record from version `from` to `to`. Absent fields did not change.
 * A receiver holding version v with from <= v < to can apply it: removals name ids, adds
 * are idempotent, and `status` / `unreachable` are the values at `to`.
 */
export interface Delta {
  readonly v: number;
  readonly node: NodeKey;
  readonly from: number;
  readonly to: number;
  readonly status?: MemberStatus;
  readonly added?: readonly ServiceEntry[];
  readonly removed?: readonly number[];
  /** The owner's whole set of suspected peers at `to`, when it changed. */
  readonly unreachable?: readonly NodeKey[];
}

/** A record whole, as pulled after a gap or sent to a newcomer (in chunks when large). */
export interface RecordSnapshot {
  readonly v: number;
  readonly node: NodeKey;
  readonly version: number;
  readonly status: MemberStatus;
  readonly entries: readonly ServiceEntry[];
  readonly unreachable: readonly NodeKey[];
}

/** A tombstone as it travels: the incarnation, why it ended, and how long ago (ms) it was first marked. */
export type GoneMark = readonly [node: NodeKey, reason: GoneReason, ageMs: number];

/** What a node holds: version per record and its tombstones. Its size depends on members, not entries. */
export interface Digest {
  readonly v: number;
  readonly records: readonly (readonly [node: NodeKey, version: number])[];
  readonly gone: readonly GoneMark[];
}

/** "I hold `node` at version `have`; send me what is newer." `have` 0: nothing. */
export interface PullRequest {
  readonly node: NodeKey;
  readonly have: number;
}

/** What to do after comparing a peer's digest with ours. */
export interface DigestComparison {
  /** Records the peer has newer (or we lack): ask the peer for them. */
  readonly pull: PullRequest[];
  /** Records we have newer (or the peer lacks): answer each with `catchUp(node, have)`. */
  readonly push: PullRequest[];
  /** The peer's tombstones we lack: apply with `applyGone`. */
  readonly learn: GoneMark[];
  /** Our tombstones the peer lacks: send them. */
  readonly teach: GoneMark[];
}

/** A record as this node holds it. Read-only to callers. */
export interface NodeRecord {
  readonly node: NodeId;
  readonly key: NodeKey;
  readonly version: number;
  readonly status: MemberStatus;
  readonly entries: ReadonlyMap<number, ServiceEntry>;
  /** Peers the owner's failure detector suspects, sorted. */
  readonly unreachable: readonly NodeKey[];
}

export interface EntryChange {
  /** The owner of the entry: the node tag for the local registry. */
  readonly node: NodeKey;
  readonly entry: ServiceEntry;
}

export interface MemberChange {
  readonly node: NodeId;
  readonly key: NodeKey;
  /** undefined: this node had no record of that incarnation before. */
  readonly from: MemberStatus | undefined;
  readonly to: MemberStatus;
}

/**
 * What applying something changed, for the local registry and for events. Apply `removed`
 * before `added`: an entry deregistered and registered again arrives as one removal and
 * one addition of the same key and ref under a new id.
 */
export interface Changes {
  readonly added: EntryChange[];
  readonly removed: EntryChange[];
  /** Service keys whose entries changed: notify exactly those keys' subscribers. */
  readonly keys: string[];
  readonly members: MemberChange[];
  /** Tombstones created here, to relay to peers. */
  readonly gone: GoneMark[];
  /** Some owner's set of suspected peers changed: recompute reachability. */
  readonly reachabilityChanged: boolean;
  /** This node's own incarnation was marked down or removed: rejoin with `reincarnate`. */
  readonly selfGone: boolean;
}

export type ApplyOutcome =
  /** The state changed: relay it onward. */
  | 'applied'
  /** Already held (a duplicate or an older version). */
  | 'stale'
  /** Versions are missing before this delta: send `gap` as a pull to the sender. */
  | 'gap'
  /** About a tombstoned incarnation, or about this node itself (only it writes its record). */
  | 'ignored'
  /** About another incarnation of this node's own host:port, which was therefore marked down. */
  | 'superseded';

export interface ApplyResult {
  readonly outcome: ApplyOutcome;
  readonly changes: Changes;
  readonly gap?: PullRequest;
}

export interface ClusterStateOptions {
  self: NodeId;
  /** Milliseconds since some fixed origin; only differences are used. */
  clock: () => number;
  /**
   * How long a tombstone outlives its incarnation. It must exceed the longest time a stale
   * record can still circulate (a message queued behind a slow link, a node that has not
   * gossiped since); after it a tombstone costs nothing. Default 600000 (10 minutes): far
   * beyond any gossip delay, while a node churning one incarnation a second keeps 600.
   */
  tombstoneTtlMs?: number;
  /**
   * Recent deltas kept per record so a node that missed a few is sent those, not the whole
   * record. Bounded by count and by the entries they carry. Defaults 32 and 4096.
   */
  deltaLogLength?: number;
  deltaLogItems?: number;
}

interface Tombstone {
  readonly node: NodeKey;
  reason: GoneReason;
  sinceMs: number;
}

interface RecordState {
  readonly node: NodeId;
  readonly key: NodeKey;
  version: number;
  status: MemberStatus;
  readonly entries: Map<number, ServiceEntry>;
  unreachable: readonly NodeKey[];
  /** Contiguous recent deltas ending at `version` (each one's `from` <= the previous one's `to`). */
  log: Delta[];
  logItems: number;
}

const ORDER: Record<MemberStatus, number> = { joining: 0, up: 1, leaving: 2, down: 3, removed: 3 };

export function isGoneStatus(status: MemberStatus): status is GoneReason {
  return status === 'down' || status === 'removed';
}

/**
 * The moves an owner may make on its own record: forward only (joining, up, leaving,
 * removed; leaving or removed straight from joining or up). `down` is never self-assigned.
 */
export function canMoveOwnStatus(from: MemberStatus, to: MemberStatus): boolean {
  return to !== 'down' && !isGoneStatus(from) && ORDER[to] > ORDER[from];
}

/**
 * Two consecutive deltas of one record as one (coalescing a turn's changes). `second` must
 * start at or before the end of `first`. Removals are all kept, even of entries added by
 * `first`: a receiver already past `first.from` may hold them.
 */
export function composeDeltas(first: Delta, second: Delta): Delta {
  if (first.node !== second.node || second.from > first.to || second.to <= first.to) {
    throw new RangeError(`Deltas ${first.node} ${first.from}->${first.to} and ${second.node} ${second.from}->${second.to} do not follow each other`);
  }
  const removed = [...(first.removed ?? []), ...(second.removed ?? [])];
  const dropped = new Set(second.removed ?? []);
  const added = [...(first.added ?? []).filter(e => !dropped.has(e.id)), ...(second.added ?? [])];
  return makeDelta(first.node, first.from, second.to, {
    status: second.status ?? first.status,
    added,
    removed,
    unreachable: second.unreachable ?? first.unreachable,
  });
}

function makeDelta(
  node: NodeKey,
  from: number,
  to: number,
  parts: { status?: MemberStatus; added?: readonly ServiceEntry[]; removed?: readonly number[]; unreachable?: readonly NodeKey[] },
): Delta {
  // Absent rather than empty or undefined-valued: smaller frames, and no undefined to encode.
  const delta: { -readonly [K in keyof Delta]: Delta[K] } = { v: CLUSTER_STATE_VERSION, node, from, to };
  if (parts.status !== undefined) delta.status = parts.status;
  if (parts.added?.length) delta.added = parts.added;
  if (parts.removed?.length) delta.removed = parts.removed;
  if (parts.unreachable !== undefined) delta.unreachable = parts.unreachable;
  return delta;
}

class ChangeSet {
  readonly added: EntryChange[] = [];
  readonly removed: EntryChange[] = [];
  readonly keys = new Set<string>();
  readonly members: MemberChange[] = [];
  readonly gone: GoneMark[] = [];
  reachabilityChanged = false;
  selfGone = false;

  add(node: NodeKey, entry: ServiceEntry): void {
    this.added.push({ node, entry });
    this.keys.add(entry.key);
  }

  remove(node: NodeKey, entry: ServiceEntry): void {
    this.removed.push({ node, entry });
    this.keys.add(entry.key);
  }

  result(outcome: ApplyOutcome, gap?: PullRequest): ApplyResult {
    return gap ? { outcome, changes: this.done(), gap } : { outcome, changes: this.done() };
  }

  done(): Changes {
    return {
      added: this.added,
      removed: this.removed,
      keys: [...this.keys],
      members: this.members,
      gone: this.gone,
      reachabilityChanged: this.reachabilityChanged,
      selfGone: this.selfGone,
    };
  }
}

export class ClusterState {
  private readonly clock: () => number;
  private readonly tombstoneTtlMs: number;
  private readonly deltaLogLength: number;
  private readonly deltaLogItems: number;
  /** Live records by key, this node's own included while it is live. */
  private readonly byKey = new Map<NodeKey, RecordState>();
  private readonly tombstones = new Map<NodeKey, Tombstone>();
  /** The current incarnation's record; kept (with its entries) even when it is gone, for `reincarnate`. */
  private own: RecordState;
  private ownGone = false;
  /** key -> ref -> entry id of this node's own entries, to find what `deregister` names. */
  private readonly ownIds = new Map<string, Map<string, number>>();
  private nextEntryId = 1;

  constructor(options: ClusterStateOptions) {
    this.clock = options.clock;
    this.tombstoneTtlMs = options.tombstoneTtlMs ?? 600_000;
    this.deltaLogLength = options.deltaLogLength ?? 32;
    this.deltaLogItems = options.deltaLogItems ?? 4096;
    this.own = this.newRecord(options.self, 1, 'joining');
    this.byKey.set(this.own.key, this.own);
  }

  get self(): NodeId {
    return this.own.node;
  }

  get selfKey(): NodeKey {
    return this.own.key;
  }

  /** This node's own record (also when its incarnation is gone, awaiting `reincarnate`). */
  get selfRecord(): NodeRecord {
    return this.own;
  }

  get isSelfGone(): boolean {
    return this.ownGone;
  }

  record(key: NodeKey): NodeRecord | undefined {
    return this.byKey.get(key);
  }

  /** Every live record, this node's own included. */
  records(): IterableIterator<NodeRecord> {
    return this.byKey.values();
  }

  get recordCount(): number {
    return this.byKey.size;
  }

  isTombstoned(key: NodeKey): boolean {
    return this.tombstones.has(key);
  }

  get tombstoneCount(): number {
    return this.tombstones.size;
  }

  goneMarks(): GoneMark[] {
    const now = this.clock();
    return [...this.tombstones.values()].map(t => [t.node, t.reason, Math.max(0, now - t.sinceMs)] as const);
  }

  // ---- The owner's writes. Each returns the delta to push, or undefined when nothing changed.

  register(key: string, ref: string): Delta | undefined {
    let refs = this.ownIds.get(key);
    if (refs?.has(ref)) return undefined;
    if (!refs) this.ownIds.set(key, (refs = new Map()));
    const entry: ServiceEntry = { id: this.nextEntryId++, key, ref };
    refs.set(ref, entry.id);
    this.own.entries.set(entry.id, entry);
    return this.ownDelta({ added: [entry] });
  }

  deregister(key: string, ref: string): Delta | undefined {
    const id = this.ownIds.get(key)?.get(ref);
    if (id === undefined) return undefined;
    this.forgetOwn(key, ref, id);
    return this.ownDelta({ removed: [id] });
  }

  /** Removes `ref` from every key (its actor stopped). */
  deregisterRef(ref: string): Delta | undefined {
    const removed: number[] = [];
    for (const [key, refs] of [...this.ownIds]) {
      const id = refs.get(ref);
      if (id === undefined) continue;
      this.forgetOwn(key, ref, id);
      removed.push(id);
    }
    return removed.length ? this.ownDelta({ removed }) : undefined;
  }

  /**
   * Moves this node's status forward (joining -> up -> leaving -> removed; leaving early is
   * allowed). `down` is never self-assigned: other nodes decide it with `markDown`.
   */
  setStatus(status: MemberStatus): Delta | undefined {
    const from = this.own.status;
    if (status === from) return undefined;
    if (!canMoveOwnStatus(from, status)) throw new InvalidStatusTransitionError(from, status);
    this.own.status = status;
    const delta = this.ownDelta({ status });
    if (status === 'removed' && delta) this.bury(this.own.key, 'removed', 0, new ChangeSet());
    return delta;
  }

  /** Graceful leave: every entry removed and status `leaving`, in one delta pushed before sockets close. */
  leave(): Delta | undefined {
    const removed = [...this.own.entries.keys()];
    this.own.entries.clear();
    this.ownIds.clear();
    const status = ORDER[this.own.status] < ORDER.leaving ? ('leaving' as const) : undefined;
    if (status) this.own.status = status;
    if (!removed.length && !status) return undefined;
    return this.ownDelta({ removed, status });
  }

  /** Records the peers this node's failure detector now suspects (its observations, replicated like entries). */
  setUnreachable(subjects: Iterable<NodeKey>): Delta | undefined {
    const next = [...new Set(subjects)].filter(k => k !== this.own.key).sort();
    if (sameList(next, this.own.unreachable)) return undefined;
    this.own.unreachable = next;
    return this.ownDelta({ unreachable: next });
  }

  /**
   * This node's next incarnation, after it learned it was marked down while alive: a new
   * uid, version 1, the same entries. Returns the new record to announce whole.
   */
  reincarnate(uid: number, status: MemberStatus = 'joining'): RecordSnapshot {
    if (!this.ownGone) this.bury(this.own.key, 'down', 0, new ChangeSet());
    const previous = this.own;
    this.own = this.newRecord({ host: previous.node.host, port: previous.node.port, uid }, 1, status);
    for (const [id, entry] of previous.entries) this.own.entries.set(id, entry);
    this.ownGone = false;
    this.byKey.set(this.own.key, this.own);
    return this.snapshot(this.own.key)!;
  }

  // ---- What arrives from peers.

  applyDelta(delta: Delta): ApplyResult {
    const changes = new ChangeSet();
    const key = delta.node;
    if (key === this.own.key || this.tombstones.has(key)) return changes.result('ignored');
    let record = this.byKey.get(key);
    if (!record) {
      const node = parseNodeKey(key);
      if (sameHostPort(node, this.own.node)) return this.supersedeOne(key, changes);
      if (delta.from !== 0) return changes.result('gap', { node: key, have: 0 });
      if (delta.status !== undefined && isGoneStatus(delta.status)) {
        this.bury(key, delta.status, 0, changes);
        return changes.result('applied');
      }
      record = this.newRecord(node, 0, delta.status ?? 'joining');
      this.byKey.set(key, record);
      changes.members.push({ node, key, from: undefined, to: record.status });
    }
    if (delta.to <= record.version) return changes.result('stale');
    if (delta.from > record.version) return changes.result('gap', { node: key, have: record.version });

    if (delta.status !== undefined && isGoneStatus(delta.status)) {
      this.bury(key, delta.status, 0, changes);
      return changes.result('applied');
    }
    for (const id of delta.removed ?? []) {
      const entry = record.entries.get(id);
      if (entry && record.entries.delete(id)) changes.remove(key, entry);
    }
    for (const entry of delta.added ?? []) {
      if (record.entries.has(entry.id)) continue;
      record.entries.set(entry.id, entry);
      changes.add(key, entry);
    }
    if (delta.status !== undefined && delta.status !== record.status) {
      changes.members.push({ node: record.node, key, from: record.status, to: delta.status });
      record.status = delta.status;
    }
    if (delta.unreachable !== undefined && !sameList(delta.unreachable, record.unreachable)) {
      record.unreachable = delta.unreachable;
      changes.reachabilityChanged = true;
    }
    record.version = delta.to;
    this.log(record, delta);
    return changes.result('applied');
  }

  /** A whole record: taken if its version is higher than the one held. */
  mergeRecord(snapshot: RecordSnapshot): ApplyResult {
    const changes = new ChangeSet();
    const key = snapshot.node;
    if (key === this.own.key || this.tombstones.has(key)) return changes.result('ignored');
    let record = this.byKey.get(key);
    if (!record) {
      const node = parseNodeKey(key);
      if (sameHostPort(node, this.own.node)) return this.supersedeOne(key, changes);
      if (isGoneStatus(snapshot.status)) {
        this.bury(key, snapshot.status, 0, changes);
        return changes.result('applied');
      }
      record = this.newRecord(node, 0, snapshot.status);
      this.byKey.set(key, record);
      changes.members.push({ node, key, from: undefined, to: record.status });
    } else if (snapshot.version <= record.version) {
      return changes.result('stale');
    }
    if (isGoneStatus(snapshot.status)) {
      this.bury(key, snapshot.status, 0, changes);
      return changes.result('applied');
    }
    const incoming = new Map<number, ServiceEntry>();
    for (const entry of snapshot.entries) incoming.set(entry.id, entry);
    for (const [id, entry] of record.entries) {
      if (!incoming.has(id)) {
        record.entries.delete(id);
        changes.remove(key, entry);
      }
    }
    for (const [id, entry] of incoming) {
      if (record.entries.has(id)) continue;
      record.entries.set(id, entry);
      changes.add(key, entry);
    }
    if (snapshot.status !== record.status) {
      changes.members.push({ node: record.node, key, from: record.status, to: snapshot.status });
      record.status = snapshot.status;
    }
    if (!sameList(snapshot.unreachable, record.unreachable)) {
      record.unreachable = snapshot.unreachable;
      changes.reachabilityChanged = true;
    }
    record.version = snapshot.version;
    // The versions in between were never seen here, so no delta chain reaches across them.
    record.log = [];
    record.logItems = 0;
    return changes.result('applied');
  }

  /** Marks an incarnation down (this node's failure detector or an operator decided). */
  markDown(node: NodeId | NodeKey): Changes {
    const changes = new ChangeSet();
    this.bury(typeof node === 'string' ? node : nodeKey(node), 'down', 0, changes);
    return changes.done();
  }

  /**
   * `node` proved it holds its host:port (a completed handshake): every other incarnation
   * of that host:port this node knows of is gone.
   */
  supersede(node: NodeId): Changes {
    const changes = new ChangeSet();
    for (const record of [...this.byKey.values()]) {
      if (record.node.uid !== node.uid && sameHostPort(record.node, node) && record !== this.own) {
        this.bury(record.key, 'down', 0, changes);
      }
    }
    return changes.done();
  }

  /** Tombstones heard from peers (a digest's `gone`, a relayed notice). */
  applyGone(marks: Iterable<GoneMark>): Changes {
    const changes = new ChangeSet();
    for (const [key, reason, ageMs] of marks) this.bury(key, reason, ageMs, changes);
    return changes.done();
  }

  // ---- Anti-entropy.

  digest(): Digest {
    const records: (readonly [NodeKey, number])[] = [];
    for (const record of this.byKey.values()) records.push([record.key, record.version]);
    return { v: CLUSTER_STATE_VERSION, records, gone: this.goneMarks() };
  }

  compareDigest(digest: Digest): DigestComparison {
    const pull: PullRequest[] = [];
    const push: PullRequest[] = [];
    const learn: GoneMark[] = [];
    const theirGone = new Map<NodeKey, GoneReason>();
    for (const mark of digest.gone) {
      theirGone.set(mark[0], mark[1]);
      const ours = this.tombstones.get(mark[0]);
      // Down wins over removed, so both sides end with the same reason.
      if (!ours || (ours.reason === 'removed' && mark[1] === 'down')) learn.push(mark);
    }
    const theirs = new Set<NodeKey>();
    for (const [key, version] of digest.records) {
      theirs.add(key);
      if (this.tombstones.has(key) || theirGone.has(key)) continue;
      const ours = this.byKey.get(key);
      const have = ours?.version ?? 0;
      if (have < version) pull.push({ node: key, have });
      else if (have > version) push.push({ node: key, have: version });
    }
    for (const record of this.byKey.values()) {
      if (!theirs.has(record.key) && !theirGone.has(record.key)) push.push({ node: record.key, have: 0 });
    }
    const teach = this.goneMarks().filter(mark => {
      const theirs = theirGone.get(mark[0]);
      return theirs === undefined || (theirs === 'removed' && mark[1] === 'down');
    });
    return { pull, push, learn, teach };
  }

  /**
   * The answer to a pull: the recent deltas since `have` composed into one when this node
   * still has them, else the whole record; undefined when it has nothing newer.
   */
  catchUp(key: NodeKey, have: number): { delta: Delta } | { snapshot: RecordSnapshot } | undefined {
    const record = this.byKey.get(key);
    if (!record || record.version <= have) return undefined;
    const delta = have > 0 ? this.deltaSince(record, have) : undefined;
    return delta ? { delta } : { snapshot: this.snapshot(key)! };
  }

  snapshot(key: NodeKey): RecordSnapshot | undefined {
    const record = this.byKey.get(key);
    if (!record) return undefined;
    return {
      v: CLUSTER_STATE_VERSION,
      node: record.key,
      version: record.version,
      status: record.status,
      entries: [...record.entries.values()],
      unreachable: record.unreachable,
    };
  }

  /** Drops tombstones older than `tombstoneTtlMs`; returns how many. */
  prune(): number {
    const oldest = this.clock() - this.tombstoneTtlMs;
    let dropped = 0;
    for (const [key, tombstone] of this.tombstones) {
      if (tombstone.sinceMs <= oldest) {
        this.tombstones.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  // ---- Internals.

  private newRecord(node: NodeId, version: number, status: MemberStatus): RecordState {
    return { node, key: nodeKey(node), version, status, entries: new Map(), unreachable: [], log: [], logItems: 0 };
  }

  private ownDelta(parts: { status?: MemberStatus; added?: ServiceEntry[]; removed?: number[]; unreachable?: readonly NodeKey[] }): Delta | undefined {
    // A gone incarnation publishes nothing; its entries are kept for the next one.
    if (this.ownGone) return undefined;
    const delta = makeDelta(this.own.key, this.own.version, this.own.version + 1, parts);
    this.own.version = delta.to;
    this.log(this.own, delta);
    return delta;
  }

  private forgetOwn(key: string, ref: string, id: number): void {
    const refs = this.ownIds.get(key)!;
    refs.delete(ref);
    if (refs.size === 0) this.ownIds.delete(key);
    this.own.entries.delete(id);
  }

  private supersedeOne(key: NodeKey, changes: ChangeSet): ApplyResult {
    this.bury(key, 'down', 0, changes);
    return changes.result('superseded');
  }

  /** Ends an incarnation here: record dropped (its entries reported removed), tombstone kept. */
  private bury(key: NodeKey, reason: GoneReason, ageMs: number, changes: ChangeSet): void {
    const sinceMs = this.clock() - Math.max(0, ageMs);
    const existing = this.tombstones.get(key);
    if (existing) {
      // The oldest report wins, so relaying a tombstone never extends its life; down wins over removed.
      existing.sinceMs = Math.min(existing.sinceMs, sinceMs);
      if (reason === 'down') existing.reason = 'down';
      return;
    }
    this.tombstones.set(key, { node: key, reason, sinceMs });
    changes.gone.push([key, reason, Math.max(0, ageMs)]);
    const record = this.byKey.get(key);
    if (record) {
      this.byKey.delete(key);
      changes.members.push({ node: record.node, key, from: record.status, to: reason });
      if (record.unreachable.length) changes.reachabilityChanged = true;
      if (record === this.own) {
        this.ownGone = true;
        changes.selfGone = true;
      } else {
        for (const entry of record.entries.values()) changes.remove(key, entry);
      }
    } else {
      changes.members.push({ node: parseNodeKey(key), key, from: undefined, to: reason });
    }
  }

  private log(record: RecordState, delta: Delta): void {
    record.log.push(delta);
    record.logItems += itemsOf(delta);
    while (record.log.length > this.deltaLogLength || (record.logItems > this.deltaLogItems && record.log.length > 0)) {
      record.logItems -= itemsOf(record.log.shift()!);
    }
  }

  private deltaSince(record: RecordState, have: number): Delta | undefined {
    let start = record.log.length - 1;
    while (start >= 0 && record.log[start]!.from > have) start--;
    if (start < 0) return undefined;
    let delta = record.log[start]!;
    for (let i = start + 1; i < record.log.length; i++) delta = composeDeltas(delta, record.log[i]!);
    return delta;
  }
}

function itemsOf(delta: Delta): number {
  return 1 + (delta.added?.length ?? 0) + (delta.removed?.length ?? 0);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
