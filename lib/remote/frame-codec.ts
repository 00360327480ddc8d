/**
 * The wire format: a stream of length-prefixed frames, `length:u32be kind:u8 body`, where
 * `length` counts the kind byte and the body. The decoder is incremental and checks the
 * announced length against the limit as soon as the 4 header bytes arrive, and the buffer of
 * a partial frame grows with the bytes that actually arrived: announcing a large frame costs
 * a hostile peer as many bytes as it makes the node hold.
 */
import { FrameTooLargeError, MalformedFrameError } from './errors.js';

/** Frame kinds. Handshake kinds are the only ones accepted before the handshake completes. */
export const FrameKind = {
  /** Connecting side: protocol version, system name, identity, nonce. */
  Hello: 1,
  /** Accepting side: its identity, nonce, and HMAC proof when a secret is configured. */
  Welcome: 2,
  /** Connecting side: its HMAC proof (or none without a secret). */
  Auth: 3,
  /** Accepting side: the connection is established. */
  Accept: 4,
  /** Either side: a refusal with a reason, then the connection closes. */
  Reject: 5,
  /** An actor message: recipient path and uid, then the payload. */
  Message: 16,
  /**
   * Sent every heartbeat interval, so idle peers stay distinguishable from dead ones. The body
   * is a u32be sequence number (older nodes sent none), which the receiver echoes at once.
   */
  Heartbeat: 17,
  /** The sender is shutting down; the close that follows is not an error. */
  Goodbye: 18,
  /** Answer to a Heartbeat carrying a sequence: the same sequence, so the sender measures the round trip. */
  HeartbeatAck: 19,
  /** Ids for names that later Message frames on this connection use instead of strings (see name-table.ts). */
  Names: 20,
} as const;

export type FrameKindValue = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes before the body: the 4-byte length and the kind byte. */
export const FRAME_HEADER_BYTES = 5;

/** Default largest frame (kind byte and body) a node accepts: 4 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;

/** Largest frame accepted before the handshake completes: a handshake frame is a few hundred bytes. */
export const HANDSHAKE_MAX_FRAME_SIZE = 4096;

/** Builds one frame around `body` (copied). */
export function encodeFrame(kind: number, body: Uint8Array = EMPTY): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length + 1, 0);
  frame[4] = kind;
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Fills in the header of the frame `frame[start, end)` whose first FRAME_HEADER_BYTES were
 * reserved for it (the serializer packs straight after the reserved space, so framing costs
 * no copy); by default the frame is the whole buffer.
 */
export function writeFrameHeader(frame: Buffer, kind: number, start = 0, end = frame.length): Buffer {
  frame.writeUInt32BE(end - start - 4, start);
  frame[start + 4] = kind;
  return frame;
}

/**
 * Receives each complete frame: `buffer[start, end)` is the body, valid only during the call.
 * `owned` is true when `buffer` was allocated for this frame alone (else it is a socket chunk
 * shared with other frames, which anything kept from the frame must not pin).
 */
export type FrameHandler = (kind: number, buffer: Buffer, start: number, end: number, owned: boolean) => void;

const EMPTY = new Uint8Array(0);

/** First allocation for a frame body that did not arrive whole: larger bodies double as they fill. */
const INITIAL_BODY_BYTES = 16 * 1024;

export class FrameDecoder {
  /** Frames above this size are refused; can be raised once the peer is authenticated. */
  maxFrameSize: number;
  private readonly header = Buffer.alloc(4);
  private headerFill = 0;
  /** The partial frame (kind byte and body) so far; its capacity grows towards `bodyLength`. */
  private body?: Buffer;
  private bodyLength = 0;
  private bodyFill = 0;
  /** Complete frames delivered so far (lets the connection tell a new partial frame from an old one). */
  framesDecoded = 0;
  private stopped = false;
  /** Chunks pushed from inside a handler (a synchronous transport answering at once) wait their turn. */
  private pushing = false;
  private readonly backlog: Buffer[] = [];

  constructor(
    maxFrameSize: number,
    private readonly onFrame: FrameHandler,
  ) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes received of a frame that has not completed yet (non-zero at close means a truncated stream). */
  get pendingBytes(): number {
    return this.headerFill + (this.body ? 4 + this.bodyFill : 0);
  }

  /** Bytes allocated for the partial frame: what a peer that stops mid-frame makes this node hold. */
  get bufferedCapacity(): number {
    return this.body?.length ?? 0;
  }

  /** Ignores everything after the current frame; called when the connection closes from inside a handler. */
  stop(): void {
    this.stopped = true;
    this.body = undefined;
  }

  /**
   * Feeds bytes as they arrive and calls the handler for each complete frame, in order.
   * Throws FrameTooLargeError or MalformedFrameError; the caller then closes the connection.
   */
  push(chunk: Buffer): void {
    if (this.pushing) {
      this.backlog.push(chunk);
      return;
    }
    this.pushing = true;
    try {
      this.consume(chunk);
      while (this.backlog.length > 0 && !this.stopped) this.consume(this.backlog.shift()!);
    } finally {
      this.pushing = false;
    }
  }

  private consume(chunk: Buffer): void {
    const n = chunk.length;
    let offset = 0;
    while (offset < n && !this.stopped) {
      if (this.body !== undefined) {
        const take = Math.min(n - offset, this.bodyLength - this.bodyFill);
        const body = this.reserve(this.bodyFill + take);
        chunk.copy(body, this.bodyFill, offset, offset + take);
        this.bodyFill += take;
        offset += take;
        if (this.bodyFill === this.bodyLength) {
          this.body = undefined;
          this.framesDecoded++;
          this.onFrame(body[0], body, 1, body.length, true);
        }
        continue;
      }
      if (this.headerFill > 0 || n - offset < 4) {
        const take = Math.min(4 - this.headerFill, n - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < 4) return;
        this.headerFill = 0;
        this.startBody(this.checkLength(this.header.readUInt32BE(0)), n - offset);
        continue;
      }
      const length = this.checkLength(chunk.readUInt32BE(offset));
      if (n - offset - 4 >= length) {
        const start = offset + 4;
        offset = start + length;
        this.framesDecoded++;
        this.onFrame(chunk[start], chunk, start + 1, offset, false);
      } else {
        offset += 4;
        this.startBody(length, n - offset);
      }
    }
  }

  private checkLength(length: number): number {
    if (length === 0) throw new MalformedFrameError('zero-length frame (every frame has at least a kind byte)');
    if (length > this.maxFrameSize) throw new FrameTooLargeError(length, this.maxFrameSize);
    return length;
  }

  /** `available` bytes of the body are in the current chunk: allocate for those, not for the announced length. */
  private startBody(length: number, available: number): void {
    this.bodyLength = length;
    this.body = Buffer.allocUnsafe(Math.min(length, Math.max(INITIAL_BODY_BYTES, available)));
    this.bodyFill = 0;
  }

  /** The body buffer with room for `needed` bytes; doubling keeps the copying linear in the frame size. */
  private reserve(needed: number): Buffer {
    const body = this.body!;
    if (needed <= body.length) return body;
    const grown = Buffer.allocUnsafe(Math.min(this.bodyLength, Math.max(needed, body.length * 2)));
    body.copy(grown, 0, 0, this.bodyFill);
    this.body = grown;
    return grown;
  }
}
