/**
 * TCP whose outbound sockets can be told to lose what is written to them: after `swallow()`
 * the outbound sockets open at that moment drop their writes silently (as the bytes in flight
 * are lost when a connection dies), so tests can show what survives a lost frame.
 */
import type { Duplex } from 'node:stream';
import { TcpTransport } from '../../../lib/index.js';

type LossySocket = Duplex & { lossy?: boolean };

export class LossyTransport extends TcpTransport {
  private readonly sockets = new Set<LossySocket>();

  swallow(): void {
    for (const socket of this.sockets) socket.lossy = true;
  }

  override async connect(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    const socket = (await super.connect(host, port, timeoutMs)) as LossySocket;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((...args: unknown[]) => {
      if (!socket.lossy) return write(...args);
      (args.find(arg => typeof arg === 'function') as (() => void) | undefined)?.();
      return true;
    }) as typeof socket.write;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }
}
