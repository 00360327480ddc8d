/**
 * The plain baseline of the remote benchmark: what any request/response protocol over one
 * socket must do, with no actor system. Every request and reply is packed with msgpackr on its
 * own, framed, copied into a batch, unpacked on the other side, and each reply is matched to
 * its request by id. Writes go out by the same rule as remoting's (see FrameBatcher).
 */
import net from 'node:net';
import { Packr, Unpackr } from 'msgpackr';
import { FrameDecoder } from '../../lib/remote/index.js';
import { ACK_EVERY } from './messages.js';

/** Frame kinds of the plain protocol. */
const REQUEST = 1;
const REPLY = 2;
const TELL = 3;
const ACK = 4;

const CHUNK_BYTES = 64 * 1024;

/**
 * Frames queued during one event-loop turn leave in one write at the end of the turn; with
 * `flushBytes` > 0, the first `flushBytes` of a turn leave at once (remoting's rule, see
 * EARLY_WRITE_BYTES in lib/remote/association.ts).
 */
export class FrameBatcher {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  /** Bytes of `chunk` already written (the socket may still hold them: never reused). */
  private written = 0;
  private fill = 0;
  private scheduled = false;
  private wroteEarly = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly flushBytes: number,
  ) {}

  frame(kind: number, body: Uint8Array): void {
    const n = body.length + 5;
    if (this.fill + n > this.chunk.length) {
      this.flush();
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, n));
      this.written = this.fill = 0;
    }
    const chunk = this.chunk;
    chunk.writeUInt32BE(body.length + 1, this.fill);
    chunk[this.fill + 4] = kind;
    chunk.set(body, this.fill + 5);
    this.fill += n;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAtEndOfTurn);
    }
    if (this.flushBytes > 0 && !this.wroteEarly && this.fill - this.written >= this.flushBytes) {
      this.wroteEarly = true;
      this.flush();
    }
  }

  private readonly flushAtEndOfTurn = () => {
    this.scheduled = false;
    this.wroteEarly = false;
    this.flush();
  };

  flush(): void {
    if (this.fill === this.written) return;
    this.socket.write(this.chunk.subarray(this.written, this.fill));
    this.written = this.fill;
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Server side: answers each request with a reply of the same id; counts tells and acknowledges them. */
export function plainServer(flushBytes: number): net.Server {
  return net.createServer({ noDelay: true }, socket => {
    const packr = new Packr({ useRecords: false });
    const unpackr = new Unpackr({ useRecords: false });
    const out = new FrameBatcher(socket, flushBytes);
    let tells = 0;
    const decoder = new FrameDecoder(64 * 1024 * 1024, (kind, buffer, start, end) => {
      const message = unpackr.unpack(buffer, { start, end }) as number[];
      if (kind === REQUEST) out.frame(REPLY, packr.pack([message[0], message[1]]));
      else if (kind === TELL && (++tells & (ACK_EVERY - 1)) === 0) out.frame(ACK, packr.pack([tells]));
    });
    socket.on('data', chunk => decoder.push(chunk));
    socket.on('error', () => {});
  });
}

/** Client side of one connection: `request(n)` resolves with the reply's number; `tell(n)` is one way. */
export class PlainClient {
  private readonly packr = new Packr({ useRecords: false });
  private readonly unpackr = new Unpackr({ useRecords: false });
  private readonly pending = new Map<number, (n: number) => void>();
  private nextId = 0;
  private readonly out: FrameBatcher;
  /** Tells acknowledged by the server so far. */
  acked = 0;
  onAck?: (count: number) => void;

  private constructor(
    private readonly socket: net.Socket,
    flushBytes: number,
  ) {
    this.out = new FrameBatcher(socket, flushBytes);
    const decoder = new FrameDecoder(64 * 1024 * 1024, (kind, buffer, start, end) => {
      const message = this.unpackr.unpack(buffer, { start, end }) as number[];
      if (kind === REPLY) {
        const resolve = this.pending.get(message[0]);
        if (resolve === undefined) throw new Error(`reply to unknown request ${message[0]}`);
        this.pending.delete(message[0]);
        resolve(message[1]);
      } else if (kind === ACK) {
        this.acked = message[0];
        this.onAck?.(this.acked);
      }
    });
    socket.on('data', chunk => decoder.push(chunk));
  }

  static async connect(port: number, flushBytes: number): Promise<PlainClient> {
    return new PlainClient(await connect(port), flushBytes);
  }

  request(n: number): Promise<number> {
    return new Promise(resolve => {
      const id = this.nextId++;
      this.pending.set(id, resolve);
      this.out.frame(REQUEST, this.packr.pack([id, n]));
    });
  }

  tell(n: number): void {
    this.out.frame(TELL, this.packr.pack([n]));
  }

  close(): void {
    this.socket.destroy();
  }
}
