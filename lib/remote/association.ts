/**
 * Everything this node sends to one peer (`host:port`) goes through its association: one
 * outbound connection, a bounded FIFO of encoded frames, writes batched per event-loop turn,
 * and reconnection with exponential backoff. A single connection and a single queue are what
 * keep per-peer ordering; the bound is what keeps a dead or slow peer from costing more than
 * `outboundQueueSize` messages / `outboundQueueBytes` bytes. Delivery is at most once: frames
 * already written to a socket that then dies are lost; frames still queued survive a reconnect.
 *
 * Connections accepted from the peer are separate (see Remoting): they carry its messages to
 * us, never ours to it, so two nodes that dial each other at the same time need no tie-break.
 */
import type { Cancellable, InternalActorRef } from '../actor/index.js';
import { Connection, type CloseKind, type ConnectionHandler, type ConnectionSettings } from './connection.js';
import { FrameTooLargeError } from './errors.js';
import type { NodeIdentity } from './node-identity.js';
import type { OutboundQueue } from './remote-actor-ref.js';
import type { Transport } from './transport.js';

export interface AssociationSettings {
  readonly connection: ConnectionSettings;
  readonly transport: Transport;
  readonly connectTimeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly outboundQueueSize: number;
  readonly outboundQueueBytes: number;
}

/** What an association reports to the remoting that owns it. */
export interface AssociationEvents {
  deadLetter(message: unknown, recipient: InternalActorRef<unknown>, reason: string): void;
  connected(association: Association, connection: Connection): void;
  disconnected(association: Association, connection: Connection, kind: CloseKind, reason: string): void;
  connectFailed(association: Association, reason: string): void;
  message(connection: Connection, buffer: Buffer, start: number, end: number, owned: boolean): void;
}

/** Bytes copied into one socket write at most; larger backlogs go out over several turns. */
const MAX_BATCH_BYTES = 1024 * 1024;

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
  messagesSent = 0;
  bytesSent = 0;
  /** Messages dropped because the queue was full. */
  overflowed = 0;
  private state = State.Idle;
  private connection?: Connection;
  // Parallel arrays from `head`: the frame, and the message and recipient for dead letters.
  private frames: Buffer[] = [];
  private messages: unknown[] = [];
  private recipients: InternalActorRef<unknown>[] = [];
  private head = 0;
  private queuedBytes = 0;
  private flushScheduled = false;
  private awaitingDrain = false;
  private failures = 0;
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
    return this.frames.length - this.head;
  }

  get isConnected(): boolean {
    return this.state === State.Open;
  }

  /** Queues an encoded Message frame; a full queue turns the message into a dead letter. */
  send(frame: Buffer, message: unknown, recipient: InternalActorRef<unknown>): void {
    if (this.state === State.Stopped) {
      this.events.deadLetter(message, recipient, 'the actor system is terminated');
      return;
    }
    const queued = this.frames.length - this.head;
    if (queued >= this.settings.outboundQueueSize || this.queuedBytes + frame.length > this.settings.outboundQueueBytes) {
      this.overflowed++;
      this.events.deadLetter(message, recipient, `outbound queue to ${this.key} is full (${queued} messages, ${this.queuedBytes} bytes)`);
      return;
    }
    this.frames.push(frame);
    this.messages.push(message);
    this.recipients.push(recipient);
    this.queuedBytes += frame.length;
    if (this.state === State.Open) {
      if (!this.flushScheduled && !this.awaitingDrain) {
        this.flushScheduled = true;
        setImmediate(this.flushBound);
      }
    } else if (this.state === State.Idle) {
      this.connect();
    }
  }

  /**
   * Writes what is queued, copied into one buffer per batch so that a turn's worth of small
   * messages costs one socket write. Stops when the socket pushes back, until it drains.
   */
  flush(): void {
    this.flushScheduled = false;
    const connection = this.connection;
    if (this.state !== State.Open || !connection || this.awaitingDrain) return;
    const frames = this.frames;
    const limit = connection.peerMaxFrameSize + 4;
    let written = 0;
    while (this.head < frames.length && written < MAX_BATCH_BYTES * 4) {
      let end = this.head;
      let total = 0;
      let dropped = 0;
      while (end < frames.length && total < MAX_BATCH_BYTES) {
        const frame = frames[end];
        if (frame.length > limit) {
          // The peer would refuse it and drop the connection with everything queued behind it.
          this.events.deadLetter(this.messages[end], this.recipients[end], new FrameTooLargeError(frame.length - 4, limit - 4).message);
          dropped += frame.length;
          frames[end] = EMPTY;
        }
        total += frames[end].length;
        end++;
      }
      let batch: Buffer;
      if (end - this.head === 1) {
        batch = frames[this.head];
      } else {
        batch = Buffer.allocUnsafe(total);
        let offset = 0;
        for (let i = this.head; i < end; i++) {
          const frame = frames[i];
          frame.copy(batch, offset);
          offset += frame.length;
        }
      }
      const sent = end - this.head;
      this.release(end);
      this.queuedBytes -= total + dropped;
      this.messagesSent += sent;
      this.bytesSent += total;
      written += total;
      if (total > 0 && !connection.write(batch)) {
        this.awaitingDrain = true;
        return;
      }
    }
    if (this.head < frames.length && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Flushes what is queued and closes the connection, telling the peer we are leaving. */
  stop(): Connection | undefined {
    if (this.state === State.Stopped) return undefined;
    this.backoffTimer?.cancel();
    this.backoffTimer = undefined;
    const connection = this.connection;
    if (this.state === State.Open && connection) {
      this.awaitingDrain = false;
      this.flush();
      // Whatever the socket did not take yet is still written before the FIN.
      while (this.head < this.frames.length) {
        this.awaitingDrain = false;
        this.flush();
      }
    }
    this.state = State.Stopped;
    this.dropQueue('the actor system is terminated');
    if (connection && !connection.isClosed) {
      connection.closeGracefully('this node is shutting down');
      return connection;
    }
    return undefined;
  }

  /** Heartbeat and idle check of the outbound connection. */
  tick(intervalMs: number): void {
    this.connection?.tick(intervalMs);
  }

  /** Closes the current connection (tests, or the cluster layer on a downed node); queued frames stay. */
  disconnect(reason: string): void {
    this.connection?.fail(reason, 'normal');
  }

  // ---- connection lifecycle ----------------------------------------------------------------

  private connect(): void {
    this.state = State.Connecting;
    const { transport, connectTimeoutMs, connection: connectionSettings } = this.settings;
    transport.connect(this.host, this.port, connectTimeoutMs).then(
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
        this.retryLater();
      },
    );
  }

  /** Reconnects after an exponential, jittered delay if anything is waiting; else goes idle. */
  private retryLater(): void {
    this.failures++;
    const { minBackoffMs, maxBackoffMs, connection } = this.settings;
    const base = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = base * (0.8 + Math.random() * 0.4);
    this.state = State.Backoff;
    this.backoffTimer = connection.scheduler.schedule(delay, () => {
      this.backoffTimer = undefined;
      if (this.state !== State.Backoff) return;
      if (this.queued > 0) this.connect();
      else this.state = State.Idle;
    });
  }

  established(connection: Connection): void {
    if (this.state !== State.Connecting || connection !== this.connection) {
      connection.fail('superseded');
      return;
    }
    this.state = State.Open;
    this.failures = 0;
    this.peer = connection.peer;
    this.events.connected(this, connection);
    this.awaitingDrain = false;
    this.flush();
  }

  message(connection: Connection, buffer: Buffer, start: number, end: number, owned: boolean): void {
    this.events.message(connection, buffer, start, end, owned);
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
      this.dropQueue(`handshake with ${this.key} failed: ${reason}`);
    }
    if (wasOpen && kind !== 'refused') {
      // A connection that worked: reconnect at once if something is waiting.
      this.state = State.Idle;
      if (this.queued > 0) this.connect();
    } else {
      this.retryLater();
    }
  }

  private release(end: number): void {
    const frames = this.frames;
    if (end === frames.length) {
      frames.length = 0;
      this.messages.length = 0;
      this.recipients.length = 0;
      this.head = 0;
      return;
    }
    for (let i = this.head; i < end; i++) {
      this.messages[i] = undefined;
      this.recipients[i] = undefined as unknown as InternalActorRef<unknown>;
      frames[i] = EMPTY;
    }
    this.head = end;
    if (end > 4096 && end * 2 > frames.length) {
      frames.splice(0, end);
      this.messages.splice(0, end);
      this.recipients.splice(0, end);
      this.head = 0;
    }
  }

  private dropQueue(reason: string): void {
    const end = this.frames.length;
    for (let i = this.head; i < end; i++) this.events.deadLetter(this.messages[i], this.recipients[i], reason);
    this.release(end);
    this.queuedBytes = 0;
  }
}

const EMPTY = Buffer.alloc(0);
