/**
 * A few ClusterStates exchanging the state's messages through a network the test controls
 * completely: every message waits in a pool until the test delivers, duplicates or drops
 * it, in any order. The owner of each record logs every version it writes, so a test can
 * check that what other nodes hold is always a version the owner really had.
 */
import {
  ClusterState,
  RecordAssembler,
  composeDeltas,
  readDelta,
  readDigest,
  readGoneMarks,
  readPullRequests,
  readRecordChunk,
  splitRecord,
  type Delta,
  type Digest,
  type GoneMark,
  type NodeRecord,
  type PullRequest,
  type RecordChunk,
} from '../../../lib/cluster/index.js';
import { ManualClock, node } from './states.js';

type Payload =
  | { kind: 'delta'; delta: Delta }
  | { kind: 'chunk'; chunk: RecordChunk }
  | { kind: 'gone'; marks: GoneMark[] }
  | { kind: 'digest'; digest: Digest }
  | { kind: 'pull'; requests: PullRequest[] };

interface Message {
  from: number;
  to: number;
  payload: Payload;
}

/** What a version of a record held, in comparable form. */
interface Version {
  status: string;
  entries: string;
  unreachable: string;
}

function versionOf(record: NodeRecord): Version {
  return {
    status: record.status,
    entries: [...record.entries.keys()].sort((a, b) => a - b).join(','),
    unreachable: record.unreachable.join(','),
  };
}

export class GossipSimulation {
  readonly clock = new ManualClock();
  readonly nodes: ClusterState[] = [];
  private readonly assemblers: RecordAssembler[] = [];
  /** Each node's deltas not yet sent (coalesced at flush, as the shell does per event-loop turn). */
  private readonly pending: (Delta | undefined)[] = [];
  /** key -> version -> what the owner's record was at that version. */
  readonly history = new Map<string, Map<number, Version>>();
  /** node index -> key -> highest version it ever held, and the keys it tombstoned. */
  private readonly highest: Map<string, number>[] = [];
  private readonly buried: Set<string>[] = [];
  network: Message[] = [];
  private nextUid = 1;
  /** Reincarnations that happened (a downed node learning of it). */
  reincarnations = 0;
  /** How often each path was taken, to see that the random runs reach them. */
  readonly stats = { gaps: 0, multiChunk: 0, composedReplies: 0, superseded: 0 };

  /**
   * `joined`: every node starts holding every other's record, as after a join. `relay`: a
   * node that applies a delta passes it to the next node, as fanout relaying does, so
   * catch-ups are also served by nodes other than the owner.
   */
  constructor(
    size: number,
    private readonly chunkBytes: number,
    joined = false,
    private readonly relay = false,
  ) {
    for (let i = 0; i < size; i++) {
      // A short delta log, so catch-ups fall back to whole records often.
      const state = new ClusterState({ self: node(5000 + i, this.nextUid++), clock: this.clock.read, tombstoneTtlMs: 1e12, deltaLogLength: 4 });
      this.nodes.push(state);
      this.assemblers.push(new RecordAssembler({ clock: this.clock.read }));
      this.pending.push(undefined);
      this.highest.push(new Map());
      this.buried.push(new Set());
      this.remember(i);
    }
    if (joined) {
      for (const to of this.nodes) for (const from of this.nodes) if (to !== from) to.mergeRecord(from.snapshot(from.selfKey)!);
    }
  }

  ref(owner: number, name: number): string {
    return `actor://sys@127.0.0.1:${5000 + owner}/user/a${name}#1`;
  }

  // ---- Owner writes.

  register(i: number, key: string, name: number): void {
    this.wrote(i, this.nodes[i]!.register(key, this.ref(i, name)));
  }

  deregister(i: number, key: string, name: number): void {
    this.wrote(i, this.nodes[i]!.deregister(key, this.ref(i, name)));
  }

  setUp(i: number): void {
    if (this.nodes[i]!.selfRecord.status === 'joining') this.wrote(i, this.nodes[i]!.setStatus('up'));
  }

  suspect(i: number, subjects: number[]): void {
    this.wrote(i, this.nodes[i]!.setUnreachable(subjects.filter(s => s !== i).map(s => this.nodes[s]!.selfKey)));
  }

  /** Node i announces it left (status removed), then starts again in the same process under a new uid. */
  leaveAndReturn(i: number, targets: number[]): void {
    const state = this.nodes[i]!;
    if (state.selfRecord.status === 'leaving' || state.isSelfGone) return;
    this.wrote(i, state.setStatus('removed'));
    this.flush(i, targets);
    this.afterChanges(i, true);
  }

  /** Observer `i` downs `subject`'s current incarnation and tells `targets`. */
  down(i: number, subject: number, targets: number[]): void {
    if (i === subject) return;
    const changes = this.nodes[i]!.markDown(this.nodes[subject]!.selfKey);
    this.afterChanges(i, changes.selfGone);
    if (changes.gone.length) for (const to of targets) this.send(i, to, { kind: 'gone', marks: changes.gone });
  }

  /** Sends node i's coalesced deltas to `targets`. */
  flush(i: number, targets: number[]): void {
    const delta = this.pending[i];
    this.pending[i] = undefined;
    if (!delta) return;
    for (const to of targets) if (to !== i) this.send(i, to, { kind: 'delta', delta });
  }

  /** Node i starts an anti-entropy exchange with j. */
  gossip(i: number, j: number): void {
    if (i !== j) this.send(i, j, { kind: 'digest', digest: this.nodes[i]!.digest() });
  }

  // ---- The network.

  deliver(index: number): void {
    if (!this.network.length) return;
    const [message] = this.network.splice(index % this.network.length, 1);
    this.receive(message!);
  }

  duplicate(index: number): void {
    if (this.network.length) this.network.push(this.network[index % this.network.length]!);
  }

  drop(index: number): void {
    if (this.network.length) this.network.splice(index % this.network.length, 1);
  }

  deliverAll(limit = 100_000): void {
    for (let n = 0; this.network.length && n < limit; n++) this.receive(this.network.shift()!);
    if (this.network.length) throw new Error('the network did not quiesce');
  }

  /** Everything pending sent to all, then digest exchanges between every pair until nothing moves. */
  heal(): void {
    for (let i = 0; i < this.nodes.length; i++) this.flush(i, this.nodes.map((_, j) => j));
    this.deliverAll();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < this.nodes.length; i++) {
        for (let j = 0; j < this.nodes.length; j++) this.gossip(i, j);
        this.deliverAll();
      }
    }
  }

  // ---- Invariants.

  /**
   * What every node holds of another's record is exactly a version the owner wrote; the
   * versions a node holds never go down; a tombstoned incarnation never comes back.
   */
  checkInvariants(): void {
    this.nodes.forEach((state, i) => {
      for (const record of state.records()) {
        if (record.key === state.selfKey) continue;
        const written = this.history.get(record.key)?.get(record.version);
        if (!written) throw new Error(`node ${i} holds ${record.key} at version ${record.version}, which its owner never wrote`);
        expectSame(versionOf(record), written, `node ${i} holds ${record.key}@${record.version}`);
        if (this.buried[i]!.has(record.key)) throw new Error(`node ${i} holds ${record.key} again after tombstoning it`);
        const highest = this.highest[i]!.get(record.key) ?? 0;
        if (record.version < highest) throw new Error(`node ${i} went back from ${record.key}@${highest} to ${record.version}`);
        this.highest[i]!.set(record.key, record.version);
      }
      for (const [key] of state.goneMarks()) this.buried[i]!.add(key);
    });
  }

  // ---- Internals.

  private wrote(i: number, delta: Delta | undefined): void {
    if (!delta) return;
    const before = this.pending[i];
    this.pending[i] = before ? composeDeltas(before, delta) : delta;
    this.remember(i);
  }

  private remember(i: number): void {
    const own = this.nodes[i]!.selfRecord;
    let versions = this.history.get(own.key);
    if (!versions) this.history.set(own.key, (versions = new Map()));
    versions.set(own.version, versionOf(own));
  }

  private afterChanges(i: number, selfGone: boolean): void {
    if (!selfGone) return;
    this.nodes[i]!.reincarnate(this.nextUid++);
    this.pending[i] = undefined;
    this.reincarnations++;
    this.remember(i);
  }

  private send(from: number, to: number, payload: Payload): void {
    this.network.push({ from, to, payload });
  }

  private receive({ from, to, payload }: Message): void {
    const state = this.nodes[to]!;
    // Everything goes through the wire readers, as it would after msgpack.
    switch (payload.kind) {
      case 'delta': {
        const result = state.applyDelta(readDelta(payload.delta));
        if (result.gap) this.send(to, from, { kind: 'pull', requests: [result.gap] });
        if (result.gap) this.stats.gaps++;
        const next = (to + 1) % this.nodes.length;
        if (this.relay && result.outcome === 'applied' && next !== from) this.send(to, next, { kind: 'delta', delta: payload.delta });
        if (result.outcome === 'superseded') this.stats.superseded++;
        this.afterChanges(to, result.changes.selfGone);
        break;
      }
      case 'chunk': {
        const chunk = readRecordChunk(payload.chunk);
        const snapshot = this.assemblers[to]!.accept(chunk, state.record(chunk.node)?.version ?? 0);
        if (snapshot) this.afterChanges(to, state.mergeRecord(snapshot).changes.selfGone);
        break;
      }
      case 'gone':
        this.afterChanges(to, state.applyGone(readGoneMarks(payload.marks)).selfGone);
        break;
      case 'digest': {
        const comparison = state.compareDigest(readDigest(payload.digest));
        if (comparison.teach.length) this.send(to, from, { kind: 'gone', marks: comparison.teach });
        if (comparison.pull.length) this.send(to, from, { kind: 'pull', requests: comparison.pull });
        this.answer(to, from, comparison.push);
        this.afterChanges(to, state.applyGone(comparison.learn).selfGone);
        break;
      }
      case 'pull':
        this.answer(to, from, readPullRequests(payload.requests));
        break;
    }
  }

  private answer(from: number, to: number, requests: readonly PullRequest[]): void {
    for (const request of requests) {
      const reply = this.nodes[from]!.catchUp(request.node, request.have);
      if (!reply) continue;
      if ('delta' in reply) {
        this.stats.composedReplies++;
        this.send(from, to, { kind: 'delta', delta: reply.delta });
      } else {
        const chunks = splitRecord(reply.snapshot, this.chunkBytes);
        if (chunks.length > 1) this.stats.multiChunk++;
        for (const chunk of chunks) this.send(from, to, { kind: 'chunk', chunk });
      }
    }
  }
}

function expectSame(actual: Version, expected: Version, what: string): void {
  if (actual.status !== expected.status || actual.entries !== expected.entries || actual.unreachable !== expected.unreachable) {
    throw new Error(`${what}: ${JSON.stringify(actual)} is not what the owner wrote, ${JSON.stringify(expected)}`);
  }
}
