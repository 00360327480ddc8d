/**
 * One connection between two nodes: framing, the handshake, heartbeats and closing with a
 * reason. It knows nothing of actors; a handler gets the Message frames once the peer is
 * authenticated. Anything the protocol does not allow closes this connection only.
 */
import type { Duplex } from 'node:stream';
import { describeValue, printable, type Cancellable, type Scheduler } from '../actor/index.js';
import { FrameTimeoutError, FrameTooLargeError, HandshakeRejectedError, HandshakeTimeoutError, MalformedFrameError, RemoteError } from './errors.js';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameKind, HANDSHAKE_MAX_FRAME_SIZE, encodeFrame } from './frame-codec.js';
import {
  PROTOCOL_VERSION,
  computeProof,
  decodeAuth,
  decodeHelloFields,
  encodeAccept,
  encodeAuth,
  encodeHello,
  decodeReject,
  encodeReject,
  encodeWelcome,
  newNonce,
  parseHello,
  proofMatches,
  readVersion,
  type WelcomeMessage,
} from './handshake.js';
import type { InboundCredit, PausableReader } from './inbound-credit.js';
import type { NodeIdentity } from './node-identity.js';

export type ConnectionDirection = 'inbound' | 'outbound';

/**
 * Why a connection ended: `normal` (shutdown, peer left), `refused` (handshake said no),
 * `busy` (the accepting node had no room for another handshake: retry soon), `failure` (anything else).
 */
export type CloseKind = 'normal' | 'refused' | 'busy' | 'failure';

export interface ConnectionSettings {
  readonly self: NodeIdentity;
  readonly secret?: Uint8Array;
  readonly maxFrameSize: number;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** A frame whose first bytes arrived must be complete within this time. */
  readonly frameTimeoutMs: number;
  readonly scheduler: Scheduler;
  /**
   * Told of every heartbeat and heartbeat answer the authenticated peer sends, where the frame
   * is decoded (never behind a mailbox): the liveness signal of a failure detector.
   */
  readonly onPeerHeartbeat?: (peer: NodeIdentity) => void;
}

export interface ConnectionHandler {
  established(connection: Connection): void;
  /** A Message frame; `buffer[start, end)` is valid only during the call (see FrameHandler). Throw MalformedFrameError to close. */
  message(connection: Connection, buffer: Buffer, start: number, end: number, owned: boolean): void;
  /** A Names frame (see name-table.ts), as `message`; a handler without this method refuses them. */
  names?(connection: Connection, buffer: Buffer, start: number, end: number): void;
  closed(connection: Connection, kind: CloseKind, reason: string): void;
  drained(connection: Connection): void;
  /** Inbound: the peer sent a well-formed Hello of our protocol and system (it is not yet authenticated). */
  greeted?(connection: Connection): void;
}

const GOODBYE = encodeFrame(FrameKind.Goodbye);

function heartbeatFrame(kind: number, sequence: number): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  frame.writeUInt32BE(5, 0);
  frame[4] = kind;
  frame.writeUInt32BE(sequence, FRAME_HEADER_BYTES);
  return frame;
}

const enum Stage {
  /** Outbound: Hello sent, waiting for Welcome. Inbound: waiting for Hello. */
  Greeting,
  /** Outbound: Auth sent, waiting for Accept. Inbound: Welcome sent, waiting for Auth. */
  Authenticating,
  Open,
  Closed,
}

export class Connection implements PausableReader {
  /** The authenticated peer; set once the handshake has completed. */
  peer?: NodeIdentity;
  /** Largest frame the peer accepts (from its handshake). */
  peerMaxFrameSize = 0;
  bytesSent = 0;
  bytesReceived = 0;
  /** `scheduler.now()` when bytes last arrived: the frames they completed were received then. */
  lastReceivedAt: number;
  /** Round trip of the last answered heartbeat, in ms (undefined until one was answered). */
  lastHeartbeatRttMs?: number;
  /** Heartbeats of ours the peer has answered. */
  heartbeatAcks = 0;
  /** Flow control of the messages this connection delivers; set by the handler on the first one. */
  credit?: InboundCredit;
  /** Reading stopped by `pauseReading` (the peer is then quiet because we do not listen). */
  private paused = false;
  private stage = Stage.Greeting;
  private readonly decoder: FrameDecoder;
  private readonly nonce = newNonce();
  private hello?: WelcomeMessage;
  private handshakeTimer?: Cancellable;
  private receivedSinceTick = true;
  private quietMs = 0;
  private heartbeatSequence = 0;
  private heartbeatSentAt = 0;
  /** When the frame now partially received began (undefined between frames). */
  private frameStartedAt?: number;
  private framesSeen = 0;
  private goodbyeReceived = false;
  private closeKind: CloseKind = 'failure';
  private closeReason?: string;
  /** The handler has been told about the close (exactly once). */
  private reported = false;
  private socketClosed = false;
  private resolveSocketClosed!: () => void;
  /** Settles when the socket itself has closed (after a graceful close: once the peer saw our FIN). */
  readonly whenSocketClosed = new Promise<void>(resolve => (this.resolveSocketClosed = resolve));

  constructor(
    readonly socket: Duplex,
    readonly direction: ConnectionDirection,
    /** The other end for logs: `ip:port` inbound, the dialled `host:port` outbound. */
    readonly remote: string,
    private readonly settings: ConnectionSettings,
    private readonly handler: ConnectionHandler,
  ) {
    this.decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_SIZE, this.onFrame);
    this.lastReceivedAt = settings.scheduler.now();
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', () => this.handler.drained(this));
  }

  get isOpen(): boolean {
    return this.stage === Stage.Open;
  }

  get isClosed(): boolean {
    return this.stage === Stage.Closed;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Stops reading: TCP then pushes back on the peer's writes. While paused, silence is ours,
   * not the peer's, so neither the idle timeout nor the frame timeout counts; heartbeats still
   * go out, and they are what keeps the peer's side of this connection from timing out.
   */
  pauseReading(): void {
    if (this.paused || this.stage === Stage.Closed) return;
    this.paused = true;
    this.socket.pause();
  }

  /** Reads again; the idle and frame clocks start afresh, as if bytes had just arrived. */
  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.stage === Stage.Closed) return;
    this.receivedSinceTick = true;
    if (this.frameStartedAt !== undefined) this.frameStartedAt = this.settings.scheduler.now();
    this.socket.resume();
  }

  /** Starts the handshake clock; the connecting side speaks first. */
  start(): void {
    const timeoutMs = this.settings.handshakeTimeoutMs;
    this.handshakeTimer = this.settings.scheduler.schedule(timeoutMs, () => {
      this.handshakeTimer = undefined;
      if (this.stage < Stage.Open) this.fail(new HandshakeTimeoutError(this.remote, timeoutMs).message);
    });
    if (this.direction === 'outbound') {
      this.send(encodeHello({ version: PROTOCOL_VERSION, system: this.settings.self.system, node: this.settings.self, nonce: this.nonce, maxFrameSize: this.settings.maxFrameSize }));
    }
  }

  /** Writes bytes; false means the socket's buffer is full and `drained` will follow. */
  write(bytes: Buffer): boolean {
    if (this.stage === Stage.Closed) return true;
    this.bytesSent += bytes.length;
    return this.socket.write(bytes);
  }

  /** Bytes allocated for the frame being received (bounded by what arrived, not by what was announced). */
  get bufferedBytes(): number {
    return this.decoder.bufferedCapacity;
  }

  /**
   * Called every heartbeat interval: sends a numbered heartbeat (answered at once by the peer,
   * which gives the round trip), closes the connection when nothing was received for the idle
   * timeout (a half-open socket) or when a started frame is overdue (a trickling peer).
   * Neither clock runs while reading is paused.
   */
  tick(intervalMs: number): void {
    if (this.stage !== Stage.Open) return;
    const frameStartedAt = this.frameStartedAt;
    if (frameStartedAt !== undefined && !this.paused) {
      const elapsed = this.settings.scheduler.now() - frameStartedAt;
      if (elapsed > this.settings.frameTimeoutMs) {
        this.fail(new FrameTimeoutError(this.remote, elapsed, this.decoder.pendingBytes, this.settings.frameTimeoutMs).message);
        return;
      }
    }
    if (this.receivedSinceTick || this.paused) {
      this.receivedSinceTick = false;
      this.quietMs = 0;
    } else {
      this.quietMs += intervalMs;
      if (this.quietMs >= this.settings.idleTimeoutMs) {
        this.fail(`nothing received for ${this.quietMs} ms (idle timeout ${this.settings.idleTimeoutMs} ms): peer unresponsive or connection half-open`);
        return;
      }
    }
    this.sendHeartbeat();
  }

  /**
   * Sends a numbered heartbeat now, which the peer answers from its read path; the cluster's
   * failure detector sends these to the members it monitors, more often than `tick` does.
   */
  sendHeartbeat(): void {
    if (this.stage !== Stage.Open) return;
    // Sent whatever else is queued: the round trip must measure the path, not wait for silence.
    this.heartbeatSequence = (this.heartbeatSequence + 1) >>> 0;
    this.heartbeatSentAt = this.settings.scheduler.now();
    this.write(heartbeatFrame(FrameKind.Heartbeat, this.heartbeatSequence));
  }

  /**
   * Closes a pending inbound connection to make room for others. A peer that already sent its
   * Hello is told the node is busy, so it retries soon instead of backing off as from a failure.
   */
  evict(reason: string): void {
    if (this.stage === Stage.Closed) return;
    const greeted = this.direction === 'inbound' && this.stage === Stage.Authenticating;
    this.finish('busy', reason, false, greeted ? encodeReject(reason, true) : undefined);
  }

  /** Closes after telling the peer we are leaving, so it does not log a failure. */
  closeGracefully(reason: string): void {
    if (this.stage === Stage.Closed) return;
    if (this.stage === Stage.Open) this.socket.write(GOODBYE);
    this.finish('normal', reason, true);
  }

  /** Releases the socket at once, whatever state it is in. */
  destroy(): void {
    if (!this.socketClosed) this.socket.destroy();
  }

  /** Closes at once with a logged reason (protocol violation, timeout, shutdown). */
  fail(reason: string, kind: CloseKind = 'failure'): void {
    this.finish(kind, reason, false);
  }

  // ---- internals -------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    this.receivedSinceTick = true;
    this.bytesReceived += chunk.length;
    const now = this.settings.scheduler.now();
    this.lastReceivedAt = now;
    const decoder = this.decoder;
    try {
      decoder.push(chunk);
    } catch (error) {
      this.fail(describe(error));
      return;
    }
    // A partial frame left by this chunk began in it if a frame completed meanwhile (or none was pending).
    if (decoder.pendingBytes === 0) this.frameStartedAt = undefined;
    else if (this.frameStartedAt === undefined || decoder.framesDecoded !== this.framesSeen) this.frameStartedAt = now;
    this.framesSeen = decoder.framesDecoded;
  };

  private readonly onError = (error: Error): void => {
    this.closeReason ??= `socket error: ${error.message}`;
  };

  private readonly onClose = (): void => {
    this.socketClosed = true;
    this.resolveSocketClosed();
    if (this.reported) return;
    let reason = this.closeReason;
    let kind = this.closeKind;
    if (reason === undefined) {
      if (this.goodbyeReceived) {
        reason = 'peer is shutting down';
        kind = 'normal';
      } else if (this.stage < Stage.Open && this.bytesReceived === 0 && this.direction === 'inbound') {
        // Port probes (load balancers, health checks) connect and leave: not worth a warning.
        reason = 'peer closed the connection before sending anything';
        kind = 'normal';
      } else if (this.stage < Stage.Open) {
        reason = 'peer closed the connection during the handshake';
      } else {
        reason = this.decoder.pendingBytes > 0 ? 'peer closed the connection in the middle of a frame (truncated stream)' : 'peer closed the connection';
      }
    }
    this.report(kind, reason);
  };

  private report(kind: CloseKind, reason: string): void {
    if (this.reported) return;
    this.reported = true;
    this.stage = Stage.Closed;
    this.handshakeTimer?.cancel();
    this.handshakeTimer = undefined;
    this.credit?.close();
    this.handler.closed(this, kind, reason);
  }

  private finish(kind: CloseKind, reason: string, graceful: boolean, lastFrame?: Buffer): void {
    if (this.stage === Stage.Closed) return;
    this.stage = Stage.Closed;
    this.closeKind = kind;
    this.closeReason = reason;
    this.decoder.stop();
    this.handshakeTimer?.cancel();
    this.handshakeTimer = undefined;
    const socket = this.socket;
    // A paused socket would never read the peer's FIN; what it still reads, the stopped decoder ignores.
    if (this.paused) {
      this.paused = false;
      socket.resume();
    }
    if (graceful || lastFrame) {
      // Let queued bytes (and the last frame) reach the peer, then release the socket.
      if (lastFrame) socket.write(lastFrame);
      socket.end();
      const timer = setTimeout(() => socket.destroy(), 1000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    } else {
      socket.destroy();
    }
    this.report(kind, reason);
  }

  private send(frame: Buffer): void {
    this.write(frame);
  }

  private refuse(reason: string): void {
    this.finish('refused', reason, false, encodeReject(reason));
  }

  private readonly onFrame = (kind: number, buffer: Buffer, start: number, end: number, owned: boolean): void => {
    if (this.stage === Stage.Open) {
      if (kind === FrameKind.Message) this.handler.message(this, buffer, start, end, owned);
      else if (kind === FrameKind.Names && this.handler.names) this.handler.names(this, buffer, start, end);
      else if (kind === FrameKind.Heartbeat) {
        // Answered here, in the read path and straight to the socket: never behind queued messages.
        if (end - start === 4) {
          this.write(heartbeatFrame(FrameKind.HeartbeatAck, buffer.readUInt32BE(start)));
          this.settings.onPeerHeartbeat?.(this.peer!);
        }
      } else if (kind === FrameKind.HeartbeatAck) {
        if (end - start === 4 && buffer.readUInt32BE(start) === this.heartbeatSequence && this.heartbeatSentAt > 0) {
          this.lastHeartbeatRttMs = this.settings.scheduler.now() - this.heartbeatSentAt;
          this.heartbeatSentAt = 0;
          this.heartbeatAcks++;
        }
        if (end - start === 4) this.settings.onPeerHeartbeat?.(this.peer!);
      } else if (kind === FrameKind.Goodbye) {
        this.goodbyeReceived = true;
        this.finish('normal', 'peer is shutting down', true);
      } else throw new MalformedFrameError(`unexpected frame kind ${kind} on an open connection`);
      return;
    }
    if (kind === FrameKind.Reject) {
      const { reason, busy } = decodeReject(buffer, start, end);
      this.fail(new HandshakeRejectedError(reason, this.remote).message, busy ? 'busy' : 'refused');
      return;
    }
    if (this.direction === 'inbound') this.onInboundHandshake(kind, buffer, start, end);
    else this.onOutboundHandshake(kind, buffer, start, end);
  };

  private onInboundHandshake(kind: number, buffer: Buffer, start: number, end: number): void {
    const self = this.settings.self;
    const secret = this.settings.secret;
    if (this.stage === Stage.Greeting) {
      if (kind !== FrameKind.Hello) throw new MalformedFrameError(`expected Hello, got frame kind ${kind} (before the handshake no message is accepted)`);
      const fields = decodeHelloFields(buffer, start, end);
      const version = readVersion(fields);
      if (version !== PROTOCOL_VERSION) {
        this.refuse(`incompatible protocol version ${version ?? 'none'} (${self} speaks version ${PROTOCOL_VERSION})`);
        return;
      }
      const hello = parseHello(fields);
      if (hello.system !== self.system) {
        this.refuse(`actor system name "${hello.system}" does not match "${self.system}"`);
        return;
      }
      this.hello = hello;
      this.handler.greeted?.(this);
      if (this.isClosed) return;
      const proof = secret ? computeProof(secret, 'accepting', hello, { node: self, nonce: this.nonce }) : undefined;
      // The stage moves before sending: a fast transport may deliver the answer within the write.
      this.stage = Stage.Authenticating;
      this.send(encodeWelcome({ version: PROTOCOL_VERSION, system: self.system, node: self, nonce: this.nonce, maxFrameSize: this.settings.maxFrameSize, proof }));
      return;
    }
    if (kind !== FrameKind.Auth) throw new MalformedFrameError(`expected Auth, got frame kind ${kind} (before the handshake no message is accepted)`);
    const auth = decodeAuth(buffer, start, end);
    const hello = this.hello!;
    if (secret) {
      const expected = computeProof(secret, 'connecting', hello, { node: self, nonce: this.nonce });
      if (!auth.proof) {
        this.refuse(`${self} requires a shared secret and ${hello.node} has none configured`);
        return;
      }
      if (!proofMatches(expected, auth.proof)) {
        this.refuse(`the shared secrets of ${self} and ${hello.node} differ`);
        return;
      }
    }
    this.open(hello);
    this.send(encodeAccept());
  }

  private onOutboundHandshake(kind: number, buffer: Buffer, start: number, end: number): void {
    const self = this.settings.self;
    const secret = this.settings.secret;
    if (this.stage === Stage.Greeting) {
      if (kind !== FrameKind.Welcome) throw new MalformedFrameError(`expected Welcome, got frame kind ${kind}`);
      const fields = decodeHelloFields(buffer, start, end, 'Welcome');
      const version = readVersion(fields);
      if (version !== PROTOCOL_VERSION) {
        this.refuse(`incompatible protocol version ${version ?? 'none'} (${self} speaks version ${PROTOCOL_VERSION})`);
        return;
      }
      const welcome = parseHello(fields, 'Welcome');
      if (welcome.system !== self.system) {
        this.refuse(`actor system name "${welcome.system}" does not match "${self.system}"`);
        return;
      }
      const mine = { node: self, nonce: this.nonce };
      if (secret) {
        if (!welcome.proof) {
          this.refuse(`${self} requires a shared secret and ${welcome.node} has none configured`);
          return;
        }
        if (!proofMatches(computeProof(secret, 'accepting', mine, welcome), welcome.proof)) {
          this.refuse(`the shared secrets of ${self} and ${welcome.node} differ`);
          return;
        }
      } else if (welcome.proof) {
        this.refuse(`${welcome.node} requires a shared secret and ${self} has none configured`);
        return;
      }
      this.hello = welcome;
      this.stage = Stage.Authenticating;
      this.send(encodeAuth({ proof: secret ? computeProof(secret, 'connecting', mine, welcome) : undefined }));
      return;
    }
    if (kind !== FrameKind.Accept) throw new MalformedFrameError(`expected Accept, got frame kind ${kind}`);
    this.open(this.hello!);
  }

  private open(peer: WelcomeMessage): void {
    this.handshakeTimer?.cancel();
    this.handshakeTimer = undefined;
    this.stage = Stage.Open;
    this.peer = peer.node;
    this.peerMaxFrameSize = peer.maxFrameSize;
    this.decoder.maxFrameSize = this.settings.maxFrameSize;
    this.handler.established(this);
  }
}

function describe(error: unknown): string {
  if (error instanceof FrameTooLargeError || error instanceof MalformedFrameError || error instanceof RemoteError) return error.message;
  // Text a decoder built from peer bytes: bounded, and never a peer value's own toString.
  return `unexpected error while reading: ${error instanceof Error && typeof error.message === 'string' ? printable(error.message, 200) : describeValue(error)}`;
}
