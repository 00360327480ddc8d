/**
 * A transport without sockets: connections are pairs of in-process streams. It shows the
 * remote layer only needs the Transport interface, and it records every byte written,
 * so tests can inspect exactly what crossed the "wire".
 */
import { Duplex } from 'node:stream';
import type { Transport, TransportListener } from '../../../lib/index.js';

export class MemoryTransport implements Transport {
  /** Every chunk written by either end of any connection, in order. */
  readonly wire: Buffer[] = [];
  connections = 0;
  private readonly listeners = new Map<string, (socket: Duplex, remote: string) => void>();
  private nextPort = 50_000;

  async listen(host: string, port: number, onConnection: (socket: Duplex, remote: string) => void): Promise<TransportListener> {
    const bound = port === 0 ? this.nextPort++ : port;
    const key = `${host}:${bound}`;
    if (this.listeners.has(key)) throw new Error(`listen EADDRINUSE ${key}`);
    this.listeners.set(key, onConnection);
    return { host, port: bound, close: async () => void this.listeners.delete(key) };
  }

  async connect(host: string, port: number): Promise<Duplex> {
    const accept = this.listeners.get(`${host}:${port}`);
    if (!accept) throw new Error(`connect ECONNREFUSED ${host}:${port}`);
    const [client, server] = this.pair();
    const id = ++this.connections;
    setImmediate(() => accept(server, `memory:${id}`));
    return client;
  }

  private pair(): [Duplex, Duplex] {
    const ends: Duplex[] = [];
    const make = (other: () => Duplex) =>
      new Duplex({
        allowHalfOpen: false,
        read() {},
        write: (chunk: Buffer, _encoding, done) => {
          this.wire.push(Buffer.from(chunk));
          other().push(chunk);
          done();
        },
        final(done) {
          other().push(null);
          done();
        },
        destroy(error, done) {
          other().destroy();
          done(error);
        },
      });
    ends.push(make(() => ends[1]), make(() => ends[0]));
    return [ends[0], ends[1]];
  }
}
