/**
 * Everything this node sends to one peer (`host:port`) goes through its association: one
 * outbound connection, a bounded FIFO of encoded frames, writes batched per event-loop turn,
 * and reconnection with exponential backoff. A single connection and a single queue are what
 * keep per-peer ordering; the bound is what keeps a dead or slow peer from costing more than
 * `outboundQueueSize` messages / `outboundQueueBytes` bytes. Frames are encoded straight into
 * this association's own chunks (see `encodeBuffer`), so the bytes counted are about the
 * bytes held (at most a third more, plus one chunk). Delivery is at most once: frames already
 * written to a socket that then dies are lost; frames still queued survive a reconnect.
 *
 * An association is not forever: it gives up (dropping its queue with PeerUnreachableError)
 * after `maxConnectAttempts` failures or `giveUpAfterMs` without a lasting connection, and a
 * connection that closes within `stableConnectionMs` counts as a failure, so a peer that
 * accepts and drops is redialled with backoff. Remoting removes given-up, evicted and idle ones.
 *
 * Connections accepted from the peer are separate (see Remoting): they carry its messages to
 * us, never ours to it, so two nodes that dial each other at the same time need no tie-break.
 */
import { ActorSystemTerminatedError, describeValue, type Cancellable, type InternalActorRef } from '../actor/index.js';
import { Connection, type CloseKind, type ConnectionHandler, type ConnectionSettings } from './connection.js';
import { FRAME_HEADER_BYTES } from './frame-codec.js';
import { HandshakeRejectedError, MessageTooLargeError, OutboundQueueFullError, PeerUnreachableError } from './errors.js';
import type { HostResolver } from './host-resolver.js';
import type { NodeIdentity } from './node-identity.js';
import type { OutboundQueue } from './remote-actor-ref.js';
import { OutboundNames } from './name-table.js';
import { ENCODE_ROOM_BYTES } from './serialization.js';
import type { Transport } from './transport.js';

export interface AssociationSettings {
  readonly connection: ConnectionSettings;
  readonly transport: Transport;
  readonly connectTimeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly outboundQueueSize: number;
  readonly outboundQueueBytes: number;
  readonly maxConnectAttempts: number;
  readonly giveUpAfterMs: number;
  readonly stableConnectionMs: number;
  /** Host name to address, once per association; absent: the transport gets the name as is. */
  readonly resolveHost?: HostResolver;
}

/** What an association reports to the remoting that owns it. */
export interface AssociationEvents {
  deadLetter(message: unknown, recipient: InternalActorRef<unknown>, reason: string | Error): void;
  connected(association: Association, connection: Connection): void;
  disconnected(association: Association, connection: Connection, kind: CloseKind, reason: string): void;
  connectFailed(association: Association, reason: string): void;
  /** The association stopped for good (its queue is already dead-lettered with `error`). */
  gaveUp(association: Association, error: PeerUnreachableError): void;
  message(connection: Connection, buffer: Buffer, start: number, end: number, owned: boolean): void;
  names(connection: Connection, buffer: Buffer, start: number, end: number): void;
}

/** Bytes handed to the socket per turn at most; larger backlogs go out over several turns. */
const MAX_TURN_BYTES = 4 * 1024 * 1024;
/** Small frames are copied back to back into chunks of this size, so a turn's worth goes out in few writes. */
const CHUNK_BYTES = 64 * 1024;
/** Frames above this get a buffer of their own: a chunk then wastes at most this much at its end. */
const OWN_BUFFER_BYTES = CHUNK_BYTES / 4;
/** The frame's length field: frame limits count what follows it (kind byte and body). */
const LENGTH_FIELD_BYTES = FRAME_HEADER_BYTES - 1;
/**
 * Once this many bytes are queued in a turn they are written at once, the rest at the end of
 * the turn. Two processes that answer each other otherwise take turns, each idle while the
 * other handles a whole batch. Measured at 128 asks in flight (frames of about 30 bytes):
 * 4 KiB came too late to overlap anything (350 k asks/s), 1-2 KiB let both work at once
 * (580-620 k/s); one-way tells ran the same with either (3.5 M/s).
 */
const EARLY_WRITE_BYTES = 1024;
/** Queue arrays up to this many entries keep their capacity when emptied. */
const RETAINED_QUEUE_CAPACITY = 4096;

const enum State {
  Idle,
  Connecting,
  Open,
  Backoff,
  Stopped,
}

export class Association implements ConnectionHandler, OutboundQueue {
  /** The peer as last authenticated (its incarnation uid changes when it restarts). */
  peer?: NodeIdentity;
  /** Largest frame the peer accepts, from its last handshake; 0 until one completed. */
  peerMaxFrameSize = 0;
  messagesSent = 0;
  bytesSent = 0;
  /** Messages dropped because the queue was full. */
  overflowed = 0;
  /** Messages refused for a frame above the peer's maxFrameSize or outboundQueueBytes. */
  tooLarge = 0;
  /** Dials made (including host-name lookups that failed), for statistics. */
  connectAttempts = 0;
  /** Set by Remoting on every send: the least recently used association is evicted first. */
  lastUsed = 0;
  /**
   * Kept connected with nothing to send, and never stopped as idle (Remoting: local actors
   * watch actors of this node, and only a connection can tell whether the node is gone).
   */
  held = false;
  /** Names this association sends as ids; encoders consult it, every connection starts with all of them. */
  readonly outboundNames = new OutboundNames();
  private state = State.Idle;
  private connection?: Connection;
  // Parallel arrays, queued frames in [head, tail): where the frame's bytes are (a chunk or a
  // buffer of its own, the offset and length there), and the message and recipient for dead
  // letters. Emptied by moving the indices, so their capacity is not re-grown every turn.
  private frames: Buffer[] = [];
  private offsets: number[] = [];
  private lengths: number[] = [];
  private messages: unknown[] = [];
  private recipients: InternalActorRef<unknown>[] = [];
  private head = 0;
  private tail = 0;
  private queuedBytes = 0;
  /** The chunk frames are encoded into (or small ones copied into), and how much of it is used. */
  private chunk?: Buffer;
  private chunkFill = 0;
  private flushScheduled = false;
  /** Part of this turn's frames already left early (see EARLY_WRITE_BYTES). */
  private wroteEarly = false;
  private awaitingDrain = false;
  /** Failed attempts since the last lasting connection (they set the backoff and the give-up count). */
  private failures = 0;
  /** Dials since the last lasting connection, for the give-up error. */
  private attempts = 0;
  /** When this association last lost (or began without) a lasting connection. */
  private downSince?: number;
  private openedAt = 0;
  private lastReason = 'no connection yet';
  /** The address dialled, resolved once from `host` (cleared when a lasting connection ends). */
  private address?: string;
  private usedSinceTick = true;
  private idleMs = 0;
  private stoppedReason?: Error;
  private backoffTimer?: Cancellable;
  private readonly flushBound = () => this.flush();

  constructor(
    readonly host: string,
    readonly port: number,
    /** `host:port`, the key of this association. */
    readonly key: string,
    private readonly settings: AssociationSettings,
    private readonly events: AssociationEvents,
  ) {}

  /** Frames waiting for the connection (not yet handed to the socket). */
  get queued(): number {
    return this.tail - this.head;
  }

  /** Bytes of the frames waiting (copies in this association's chunks: about the memory they hold). */
  get bytesQueued(): number {
    return this.queuedBytes;
  }

  get isConnected(): boolean {
    return this.state === State.Open;
  }

  /** Stopped for good (given up, evicted, idle, or the system stopped): Remoting makes a new one for later sends. */
  get isRetired(): boolean {
    return this.state === State.Stopped;
  }

  /** Queues a whole encoded frame (see `queue`). */
  send(frame: Buffer, message: unknown, recipient: InternalActorRef<unknown>): void {
    this.queue(frame, 0, frame.length, message, recipient);
  }

  /**
   * Where the next Message frame is to be encoded, in place: this association's chunk, at
   * `encodeOffset`, with at least ENCODE_ROOM_BYTES free. Nothing is committed until `queue`.
   */
  encodeBuffer(): Buffer {
    if (this.chunk === undefined || this.chunk.length - this.chunkFill < ENCODE_ROOM_BYTES) {
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
      this.chunkFill = 0;
    }
    return this.chunk;
  }

  get encodeOffset(): number {
    return this.chunkFill;
  }

  /**
   * Queues the encoded Message frame `buffer[start, start + length)`: where `encodeBuffer`
   * offered it is kept in place, anywhere else copied (or given a buffer of its own). A frame above the peer's limit or the
   * queue's byte bound, or a full queue, turns the message into a dead letter with the named
   * error as its reason.
   */
  queue(buffer: Buffer, start: number, length: number, message: unknown, recipient: InternalActorRef<unknown>): void {
    // Ids the encoder just gave are defined on the connection before any frame can use them.
    if (this.outboundNames.unannounced > 0 && this.state === State.Open) this.announceNames();
    if (this.state === State.Stopped) {
      this.events.deadLetter(message, recipient, this.stoppedReason ?? new ActorSystemTerminatedError(this.settings.connection.self.system));
      return;
    }
    this.usedSinceTick = true;
    const size = length - LENGTH_FIELD_BYTES;
    if (this.peerMaxFrameSize > 0 && size > this.peerMaxFrameSize) {
      this.refuseTooLarge(message, recipient, size, this.peerMaxFrameSize, "the peer's maxFrameSize");
      return;
    }
    const { outboundQueueSize, outboundQueueBytes } = this.settings;
    if (length > outboundQueueBytes) {
      this.refuseTooLarge(message, recipient, length, outboundQueueBytes, 'outboundQueueBytes');
      return;
    }
    const queued = this.tail - this.head;
    if (queued >= outboundQueueSize || this.queuedBytes + length > outboundQueueBytes) {
      this.overflowed++;
      this.events.deadLetter(message, recipient, new OutboundQueueFullError(this.key, queued, this.queuedBytes, outboundQueueSize, outboundQueueBytes));
      return;
    }
    if (buffer === this.chunk && start === this.chunkFill) {
      this.chunkFill += length;
      this.push(buffer, start, length, message, recipient);
    } else {
      this.append(buffer, start, length, message, recipient);
    }
    this.queuedBytes += length;
    if (this.state === State.Open) {
      if (!this.flushScheduled && !this.awaitingDrain) {
        this.flushScheduled = true;
        setImmediate(this.flushBound);
      }
      if (!this.wroteEarly && this.queuedBytes >= EARLY_WRITE_BYTES && !this.awaitingDrain) {
        // Hand the peer a first part now, so it works on it while this turn goes on; the
        // rest leaves at the end of the turn, in as few writes as before.
        this.wroteEarly = true;
        this.writeQueued();
      }
    } else if (this.state === State.Idle) {
      this.connect();
    }
  }

  /**
   * A frame encoded elsewhere (too large for the chunk, or encoded while another message
   * was): a queued view would pin all of the buffer it lies in (measured: 4.3 MB queued held
   * 636 MB), so the queue keeps a copy, small frames back to back in the chunk.
   */
  private append(frame: Buffer, from: number, n: number, message: unknown, recipient: InternalActorRef<unknown>): void {
    let target: Buffer;
    let offset = 0;
    if (n > OWN_BUFFER_BYTES) {
      target = Buffer.allocUnsafeSlow(n);
    } else {
      if (this.chunk === undefined || this.chunkFill + n > this.chunk.length) {
        this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
        this.chunkFill = 0;
      }
      target = this.chunk;
      offset = this.chunkFill;
      this.chunkFill += n;
    }
    frame.copy(target, offset, from, from + n);
    this.push(target, offset, n, message, recipient);
  }

  private push(buffer: Buffer, offset: number, length: number, message: unknown, recipient: InternalActorRef<unknown>): void {
    const i = this.tail++;
    this.frames[i] = buffer;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.messages[i] = message;
    this.recipients[i] = recipient;
  }

  /**
   * Writes what is queued: frames that lie back to back in one chunk go out as one write, so
   * a turn's worth of small messages costs a few writes. Stops when the socket pushes back,
   * until it drains. Chunk bytes already written are never reused (the socket may still hold
   * them), so nothing is copied again here.
   */
  flush(): void {
    this.flushScheduled = false;
    this.wroteEarly = false;
    this.writeQueued();
  }

  private writeQueued(): void {
    const connection = this.connection;
    if (this.state !== State.Open || !connection || this.awaitingDrain) return;
    const { frames, offsets, lengths } = this;
    const limit = this.peerMaxFrameSize + LENGTH_FIELD_BYTES;
    let written = 0;
    while (this.head < this.tail && written < MAX_TURN_BYTES) {
      const buffer = frames[this.head];
      const start = offsets[this.head];
      let end = start;
      let i = this.head;
      let dropped = 0;
      while (i < this.tail && frames[i] === buffer && offsets[i] === end + dropped) {
        const length = lengths[i];
        if (length > limit) {
          // Queued before the peer's limit was known: the peer would refuse it and drop the
          // connection with everything queued behind it.
          if (end > start) break;
          this.refuseTooLarge(this.messages[i], this.recipients[i], length - LENGTH_FIELD_BYTES, this.peerMaxFrameSize, "the peer's maxFrameSize");
          dropped += length;
        } else {
          if (dropped > 0) break;
          end += length;
        }
        i++;
      }
      const sent = i - this.head;
      this.release(i);
      this.queuedBytes -= end - start + dropped;
      if (end === start) continue;
      this.messagesSent += sent;
      this.bytesSent += end - start;
      written += end - start;
      const bytes = start === 0 && end === buffer.length ? buffer : buffer.subarray(start, end);
      if (!connection.write(bytes)) {
        this.awaitingDrain = true;
        return;
      }
    }
    if (this.head < this.tail && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Keeps this association connected (see `held`), dialling now if it is idle. */
  hold(): void {
    this.held = true;
    if (this.state === State.Idle) this.connect();
  }

  /** Flushes what is queued and closes the connection, telling the peer we are leaving. */
  stop(): Connection | undefined {
    if (this.state === State.Stopped) return undefined;
    this.cancelBackoff();
    const connection = this.connection;
    if (this.state === State.Open && connection) {
      this.awaitingDrain = false;
      this.flush();
      // Whatever the socket did not take yet is still written before the FIN.
      while (this.head < this.tail && this.state === State.Open) {
        this.awaitingDrain = false;
        this.flush();
      }
    }
    this.state = State.Stopped;
    this.stoppedReason = new ActorSystemTerminatedError(this.settings.connection.self.system);
    this.dropQueue(this.stoppedReason);
    if (connection && !connection.isClosed) {
      connection.closeGracefully('this node is shutting down');
      return connection;
    }
    return undefined;
  }

  /**
   * Stops for good without flushing (evicted or idle): what is queued becomes dead letters
   * with `reason`, and the connection closes with a goodbye, so the peer logs no failure.
   */
  retire(reason: Error): void {
    if (this.state === State.Stopped) return;
    this.cancelBackoff();
    this.state = State.Stopped;
    this.stoppedReason = reason;
    this.dropQueue(reason);
    const connection = this.connection;
    this.connection = undefined;
    connection?.closeGracefully(reason.message);
  }

  /** Heartbeat and idle check of the outbound connection. */
  tick(intervalMs: number): void {
    this.connection?.tick(intervalMs);
  }

  /** A heartbeat on the open connection now (nothing when there is none). */
  heartbeat(): void {
    if (this.state === State.Open) this.connection?.sendHeartbeat();
  }

  /** Called every heartbeat interval: how long nothing was sent while nothing waited or dialled. */
  idleFor(intervalMs: number): number {
    if (this.usedSinceTick || this.held || this.head < this.tail || this.state === State.Connecting) {
      this.usedSinceTick = false;
      this.idleMs = 0;
    } else {
      this.idleMs += intervalMs;
      // Nothing queued for a whole interval: the chunk's free space is not worth keeping.
      this.chunk = undefined;
    }
    return this.idleMs;
  }

  /** Closes the current connection (tests, or the cluster layer on a downed node); queued frames stay. */
  disconnect(reason: string): void {
    this.connection?.fail(reason, 'normal');
  }

  // ---- connection lifecycle ----------------------------------------------------------------

  private connect(): void {
    this.state = State.Connecting;
    this.attempts++;
    this.connectAttempts++;
    this.downSince ??= this.now();
    const resolveHost = this.settings.resolveHost;
    if (this.address !== undefined || resolveHost === undefined) {
      this.dial(this.address ?? this.host);
      return;
    }
    resolveHost(this.host, () => this.state === State.Connecting).then(
      address => {
        if (this.state !== State.Connecting) return;
        this.address = address;
        this.dial(address);
      },
      (error: Error) => {
        if (this.state !== State.Connecting) return;
        // One lookup per association: a name that does not resolve is not retried until the
        // next message after the give-up, so made-up names cost bounded DNS work.
        this.lastReason = `host name ${this.host} does not resolve: ${error.message}`;
        this.giveUp();
      },
    );
  }

  private dial(address: string): void {
    const { transport, connectTimeoutMs, connection: connectionSettings } = this.settings;
    transport.connect(address, this.port, connectTimeoutMs).then(
      socket => {
        if (this.state !== State.Connecting) {
          socket.destroy();
          return;
        }
        const connection = new Connection(socket, 'outbound', this.key, connectionSettings, this);
        this.connection = connection;
        connection.start();
      },
      (error: Error) => {
        if (this.state !== State.Connecting) return;
        const reason = `could not connect: ${error.message}`;
        this.events.connectFailed(this, reason);
        this.retryLater(reason);
      },
    );
  }

  /** Reconnects after an exponential, jittered delay if anything is waiting; gives up past the limits. */
  private retryLater(reason: string): void {
    this.failures++;
    this.lastReason = reason;
    const { minBackoffMs, maxBackoffMs, maxConnectAttempts, giveUpAfterMs } = this.settings;
    if (this.failures >= maxConnectAttempts || this.now() - this.downSince! >= giveUpAfterMs) {
      this.giveUp();
      return;
    }
    const base = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.failures - 1, 20));
    this.backOff(base);
  }

  /** The peer shed our handshake under load and asked for a prompt retry: no escalation, the queue stays. */
  private retrySoon(reason: string): void {
    this.lastReason = reason;
    if (this.now() - this.downSince! >= this.settings.giveUpAfterMs) {
      this.giveUp();
      return;
    }
    this.backOff(this.settings.minBackoffMs);
  }

  private backOff(baseMs: number): void {
    const delay = baseMs * (0.8 + Math.random() * 0.4);
    this.state = State.Backoff;
    this.backoffTimer = this.settings.connection.scheduler.schedule(delay, () => {
      this.backoffTimer = undefined;
      if (this.state !== State.Backoff) return;
      if (this.queued > 0 || this.held) {
        this.connect();
      } else {
        // Nobody is waiting: the next message starts a fresh series of attempts.
        this.state = State.Idle;
        this.failures = 0;
        this.attempts = 0;
        this.downSince = undefined;
      }
    });
  }

  private giveUp(): void {
    const error = new PeerUnreachableError(this.key, this.attempts, this.now() - (this.downSince ?? this.now()), this.lastReason);
    this.retire(error);
    this.events.gaveUp(this, error);
  }

  private cancelBackoff(): void {
    this.backoffTimer?.cancel();
    this.backoffTimer = undefined;
  }

  private now(): number {
    return this.settings.connection.scheduler.now();
  }

  established(connection: Connection): void {
    if (this.state !== State.Connecting || connection !== this.connection) {
      connection.fail('superseded');
      return;
    }
    this.state = State.Open;
    this.openedAt = this.now();
    this.peer = connection.peer;
    this.peerMaxFrameSize = connection.peerMaxFrameSize;
    // Before anything (a frame queued earlier, one sent by a PeerConnected subscriber) can use an id.
    for (const frame of this.outboundNames.replay()) connection.write(frame);
    this.events.connected(this, connection);
    this.awaitingDrain = false;
    this.flush();
  }

  message(connection: Connection, buffer: Buffer, start: number, end: number, owned: boolean): void {
    this.events.message(connection, buffer, start, end, owned);
  }

  names(connection: Connection, buffer: Buffer, start: number, end: number): void {
    this.events.names(connection, buffer, start, end);
  }

  private announceNames(): void {
    const connection = this.connection!;
    for (const frame of this.outboundNames.announce()) connection.write(frame);
  }

  drained(connection: Connection): void {
    if (connection !== this.connection || !this.awaitingDrain) return;
    this.awaitingDrain = false;
    this.flush();
  }

  closed(connection: Connection, kind: CloseKind, reason: string): void {
    if (connection !== this.connection) return;
    const wasOpen = this.state === State.Open;
    this.connection = undefined;
    this.awaitingDrain = false;
    if (this.state === State.Stopped) return;
    if (wasOpen) this.events.disconnected(this, connection, kind, reason);
    else this.events.connectFailed(this, reason);
    if (kind === 'refused') {
      // The peer will refuse again until someone reconfigures a node: fail fast instead of queueing.
      const prefix = `${this.key} refused the handshake: `;
      const error = new HandshakeRejectedError(reason.startsWith(prefix) ? reason.slice(prefix.length) : reason, this.key);
      // Either side may have refused (the reason says which); the error's own text assumes the peer did.
      error.message = `handshake with ${this.key} failed: ${reason}`;
      this.dropQueue(error);
      this.retryLater(reason);
    } else if (kind === 'busy') {
      this.retrySoon(reason);
    } else if (wasOpen && this.now() - this.openedAt >= this.settings.stableConnectionMs) {
      // A connection that lasted: reconnect at once if something waits, resolving the name
      // again (the peer may have come back elsewhere).
      this.state = State.Idle;
      this.failures = 0;
      this.attempts = 0;
      this.downSince = undefined;
      this.address = undefined;
      if (this.queued > 0 || this.held) this.connect();
    } else {
      // Never opened, or dropped soon after the handshake: a failed attempt, with backoff.
      this.retryLater(wasOpen ? `connection closed ${Math.round(this.now() - this.openedAt)} ms after the handshake: ${reason}` : reason);
    }
  }

  /** Forgets the frames in [head, end) (written or dropped). */
  private release(end: number): void {
    const frames = this.frames;
    if (end === this.tail && frames.length > RETAINED_QUEUE_CAPACITY) {
      // A backlog emptied: its arrays' capacity is not worth keeping.
      frames.length = 0;
      this.offsets.length = 0;
      this.lengths.length = 0;
      this.messages.length = 0;
      this.recipients.length = 0;
      this.head = this.tail = 0;
      return;
    }
    for (let i = this.head; i < end; i++) {
      this.messages[i] = undefined;
      this.recipients[i] = undefined as unknown as InternalActorRef<unknown>;
      frames[i] = EMPTY;
    }
    this.head = end;
    if (end === this.tail) {
      this.head = this.tail = 0;
    } else if (end > RETAINED_QUEUE_CAPACITY && end * 2 > this.tail) {
      frames.splice(0, end);
      this.offsets.splice(0, end);
      this.lengths.splice(0, end);
      this.messages.splice(0, end);
      this.recipients.splice(0, end);
      this.tail -= end;
      this.head = 0;
    }
  }

  private refuseTooLarge(message: unknown, recipient: InternalActorRef<unknown>, size: number, limit: number, limitName: string): void {
    this.tooLarge++;
    this.events.deadLetter(message, recipient, new MessageTooLargeError(describeValue(message), size, limit, limitName, this.key));
  }

  private dropQueue(reason: Error): void {
    const end = this.tail;
    const messages = this.messages.slice(this.head, end);
    const recipients = this.recipients.slice(this.head, end);
    this.release(end);
    this.queuedBytes = 0;
    // Dead letters run user code (subscribers, failing asks): the queue is already consistent.
    for (let i = 0; i < messages.length; i++) this.events.deadLetter(messages[i], recipients[i], reason);
  }
}

const EMPTY = Buffer.alloc(0);
