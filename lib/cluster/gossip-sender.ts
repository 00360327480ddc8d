/**
 * Sends the state's messages to one peer within that peer's frame limit: deltas and
 * tombstones packed into as few GossipPush messages as fit, records split into chunks and
 * packed into GossipRecords, and a delta too large for any frame replaced by its record in
 * chunks. Sizes are msgpack upper bounds of the plain data, so a message never overshoots.
 */
import type { ClusterState, Delta, GoneMark, PullRequest, RecordSnapshot } from './cluster-state.js';
import { GossipPush, GossipRecords, type GossipPeer } from './gossip-messages.js';
import { msgpackSizeBound, splitRecord, type RecordChunk } from './record-chunks.js';

/** Where a peer's messages go and how large each may be. */
export interface GossipLink {
  readonly ref: GossipPeer;
  /** Bytes the plain data of one message may take. */
  readonly budgetBytes: number;
}

export class GossipSender {
  constructor(
    private readonly state: ClusterState,
    private readonly self: () => GossipPeer,
  ) {}

  /** Deltas and tombstones; `ack` (if > 0) rides on the last message, so it is answered after all of them. */
  push(link: GossipLink, deltas: readonly Delta[], gone: readonly GoneMark[] = [], ack = 0): void {
    const budget = link.budgetBytes;
    let batch: Delta[] = [];
    let marks: GoneMark[] = [];
    let used = 0;
    const send = (last: boolean) => {
      if (batch.length === 0 && marks.length === 0 && !(last && ack > 0)) return;
      link.ref.tell(new GossipPush(this.self(), batch, marks, last ? ack : 0));
      batch = [];
      marks = [];
      used = 0;
    };
    for (const delta of deltas) {
      const size = msgpackSizeBound(delta);
      if (size > budget) {
        // Larger than any frame: the record itself travels, in chunks.
        send(false);
        const snapshot = this.state.snapshot(delta.node);
        if (snapshot) this.record(link, snapshot);
        continue;
      }
      if (used + size > budget) send(false);
      batch.push(delta);
      used += size;
    }
    for (const mark of gone) {
      const size = msgpackSizeBound(mark);
      if (used + size > budget) send(false);
      marks.push(mark);
      used += size;
    }
    send(true);
  }

  /** A whole record, in as many chunks as its size needs. */
  record(link: GossipLink, snapshot: RecordSnapshot): void {
    this.chunks(link, splitRecord(snapshot, link.budgetBytes));
  }

  /** Answers pulls: recent deltas where this node still has them, whole records otherwise, tombstones for records that ended. */
  catchUp(link: GossipLink, requests: readonly PullRequest[]): void {
    const deltas: Delta[] = [];
    const gone: GoneMark[] = [];
    let marks: Map<string, GoneMark> | undefined;
    for (const { node, have } of requests) {
      if (this.state.isTombstoned(node)) {
        marks ??= new Map(this.state.goneMarks().map(mark => [mark[0], mark]));
        const mark = marks.get(node);
        if (mark) gone.push(mark);
        continue;
      }
      const answer = this.state.catchUp(node, have);
      if (answer === undefined) continue;
      if ('delta' in answer) deltas.push(answer.delta);
      else this.record(link, answer.snapshot);
    }
    if (deltas.length > 0 || gone.length > 0) this.push(link, deltas, gone);
  }

  private chunks(link: GossipLink, chunks: readonly RecordChunk[]): void {
    const budget = link.budgetBytes;
    let batch: RecordChunk[] = [];
    let used = 0;
    for (const chunk of chunks) {
      const size = msgpackSizeBound(chunk);
      if (batch.length > 0 && used + size > budget) {
        link.ref.tell(new GossipRecords(this.self(), batch));
        batch = [];
        used = 0;
      }
      batch.push(chunk);
      used += size;
    }
    if (batch.length > 0) link.ref.tell(new GossipRecords(this.self(), batch));
  }
}
