/**
 * TCP with faults the test decides: each node gets its own transport from one FaultNetwork,
 * which can cut the bytes from one node to another (one way or both), heal the cuts, and
 * "kill" a node's transport (its listener closes and every socket is destroyed, as when the
 * process dies) or freeze it (sockets stay open, nothing flows). A cut between two nodes is
 * applied by the dialling end of each connection, in both directions, so it covers both
 * connections between them.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TcpTransport, type Transport, type TransportListener } from '../../../lib/index.js';

export class FaultNetwork {
  private readonly cuts = new Set<string>();
  /** Bytes written per listening port (what each node sent), for the bench. */
  readonly bytesSent = new Map<number, number>();

  transport(): FaultTransport {
    return new FaultTransport(this);
  }

  /** Drops every byte `from` sends to `to` from now on (ports of the nodes' listeners). */
  cut(from: number, to: number): void {
    this.cuts.add(`${from}>${to}`);
  }

  /** Cuts both ways between every node of `a` and every node of `b`. */
  partition(a: readonly number[], b: readonly number[]): void {
    for (const x of a) for (const y of b) {
      this.cut(x, y);
      this.cut(y, x);
    }
  }

  heal(): void {
    this.cuts.clear();
  }

  isCut(from: number, to: number): boolean {
    return this.cuts.size > 0 && this.cuts.has(`${from}>${to}`);
  }

  count(port: number, bytes: number): void {
    this.bytesSent.set(port, (this.bytesSent.get(port) ?? 0) + bytes);
  }
}

export class FaultTransport implements Transport {
  /** The port this node listens on (0 until it listens). */
  port = 0;
  private readonly tcp = new TcpTransport();
  private readonly sockets = new Set<Duplex>();
  private listener?: TransportListener;
  private killed = false;
  private frozen = false;

  constructor(private readonly network: FaultNetwork) {}

  async listen(host: string, port: number, onConnection: (socket: Duplex, remote: string) => void, onDropped?: (reason: string) => void): Promise<TransportListener> {
    const listener = await this.tcp.listen(
      host,
      port,
      (socket, remote) => {
        if (this.killed) {
          socket.destroy();
          return;
        }
        const filtered = new FilteredSocket(socket as Socket, () => this.frozen, () => this.frozen, n => this.network.count(this.port, n));
        this.track(filtered);
        onConnection(filtered, remote);
      },
      onDropped,
    );
    this.port = listener.port;
    this.listener = listener;
    return { host: listener.host, port: listener.port, close: () => this.stopListening() };
  }

  async connect(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    if (this.killed) throw Object.assign(new Error(`connect ECONNREFUSED ${host}:${port} (this node's transport is dead)`), { code: 'ECONNREFUSED' });
    const socket = (await this.tcp.connect(host, port, timeoutMs)) as Socket;
    if (this.killed) {
      socket.destroy();
      throw new Error("this node's transport is dead");
    }
    const self = this.port;
    const filtered = new FilteredSocket(
      socket,
      () => this.frozen || this.network.isCut(self, port),
      () => this.frozen || this.network.isCut(port, self),
      n => this.network.count(self, n),
    );
    this.track(filtered);
    return filtered;
  }

  /**
   * The node falls silent with its sockets open (a frozen process, a cable pulled): nothing it
   * writes arrives, nothing sent to it is read. Connections it has stay open.
   */
  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
  }

  /** Closes the listener only (connections stay): its port is free for another node. */
  async stopListening(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  /** The process "dies": no listener, every socket destroyed, nothing dialled any more. */
  async kill(): Promise<void> {
    this.killed = true;
    for (const socket of [...this.sockets]) socket.destroy();
    await this.stopListening();
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}

/** One end of a connection, dropping what the network has cut in either direction. */
class FilteredSocket extends Duplex {
  constructor(
    private readonly real: Socket,
    private readonly dropWrites: () => boolean,
    private readonly dropReads: () => boolean,
    private readonly count: (bytes: number) => void,
  ) {
    super({ allowHalfOpen: false });
    real.on('data', (chunk: Buffer) => {
      if (this.dropReads()) return;
      if (!this.push(chunk)) real.pause();
    });
    real.on('end', () => this.push(null));
    real.on('error', error => this.destroy(error));
    real.on('close', () => this.destroy());
  }

  override _read(): void {
    this.real.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.dropWrites()) {
      done();
      return;
    }
    this.count(chunk.length);
    this.real.write(chunk, error => done(error ?? null));
  }

  override _final(done: (error?: Error | null) => void): void {
    this.real.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.real.destroy();
    done(error);
  }
}
