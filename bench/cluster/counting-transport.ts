/**
 * TCP that counts every byte a node writes (frames, heartbeats, handshakes) and can "kill"
 * the node's network as a crash would: listener closed, every socket destroyed.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TcpTransport, type Transport, type TransportListener } from '../../lib/index.js';

export class CountingTransport implements Transport {
  bytesWritten = 0;
  private readonly tcp = new TcpTransport();
  private readonly sockets = new Set<Duplex>();
  private listener?: TransportListener;
  private killed = false;

  async listen(host: string, port: number, onConnection: (socket: Duplex, remote: string) => void, onDropped?: (reason: string) => void): Promise<TransportListener> {
    const listener = await this.tcp.listen(
      host,
      port,
      (socket, remote) => {
        if (this.killed) {
          socket.destroy();
          return;
        }
        onConnection(this.count(socket as Socket), remote);
      },
      onDropped,
    );
    this.listener = listener;
    return { host: listener.host, port: listener.port, close: () => this.closeListener() };
  }

  async connect(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    if (this.killed) throw Object.assign(new Error(`connect ECONNREFUSED ${host}:${port}`), { code: 'ECONNREFUSED' });
    return this.count((await this.tcp.connect(host, port, timeoutMs)) as Socket);
  }

  /** The node's network dies with it: no listener, every connection reset. */
  async kill(): Promise<void> {
    this.killed = true;
    for (const socket of [...this.sockets]) socket.destroy();
    await this.closeListener();
  }

  private count(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const write = socket.write.bind(socket) as (chunk: Uint8Array, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: Uint8Array, ...rest: unknown[]) => {
      this.bytesWritten += chunk.length;
      return write(chunk, ...rest);
    }) as typeof socket.write;
    return socket;
  }

  private async closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    // Not awaited to the end: closing completes once connections closed, which kill() forces.
    await listener?.close();
  }
}
