/**
 * The byte pipes under remoting. Everything above (framing, handshake, batching) only needs
 * a Duplex stream per connection, so tests and benchmarks can swap TCP for an in-memory or
 * fault-injecting transport by passing `transport` to `RemoteActorSystem.start`.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface TransportListener {
  /** The host and port actually bound (port 0 asks for a free one). */
  readonly host: string;
  readonly port: number;
  /** Stops accepting; connections already accepted are closed by their owners. */
  close(): Promise<void>;
}

export interface Transport {
  /**
   * Starts accepting connections; `remote` names the other end for logs (`ip:port`).
   * `onDropped` hears of every connection the transport could not accept (a limit, EMFILE).
   */
  listen(host: string, port: number, onConnection: (socket: Duplex, remote: string) => void, onDropped?: (reason: string) => void): Promise<TransportListener>;
  /** Opens a connection, rejecting after `timeoutMs`. */
  connect(host: string, port: number, timeoutMs: number): Promise<Duplex>;
}

/** Default length of the kernel's accept queue (see TcpTransportOptions.backlog). */
export const DEFAULT_LISTEN_BACKLOG = 4096;

export interface TcpTransportOptions {
  /**
   * A hard ceiling on open inbound sockets, authenticated or not; connections beyond it are
   * closed on accept (and counted as dropped). Default: none. Remoting bounds sockets that have
   * not authenticated by itself (`maxPendingHandshakes`), so a ceiling here only makes sense
   * far above the expected peer count: a flood of silent sockets would otherwise lock every peer out.
   */
  maxConnections?: number;
  /**
   * Length of the kernel's queue of connections waiting to be accepted (capped by the
   * system's `net.core.somaxconn`). Default DEFAULT_LISTEN_BACKLOG (4096). When it is full the kernel drops new SYNs,
   * and a dropped SYN costs the dialler a one-second retransmission: during a flood of
   * connects a long queue keeps a good peer waiting its turn instead.
   */
  backlog?: number;
}

export class TcpTransport implements Transport {
  constructor(private readonly options: TcpTransportOptions = {}) {}

  listen(host: string, port: number, onConnection: (socket: Duplex, remote: string) => void, onDropped?: (reason: string) => void): Promise<TransportListener> {
    return new Promise((resolve, reject) => {
      // Writes are batched per event-loop turn above this layer, so Nagle would only add latency.
      const server = net.createServer({ noDelay: true }, socket => {
        onConnection(socket, `${socket.remoteAddress}:${socket.remotePort}`);
      });
      if (this.options.maxConnections !== undefined) server.maxConnections = this.options.maxConnections;
      server.on('drop', () => onDropped?.(`over the transport's maxConnections (${this.options.maxConnections})`));
      const onError = (error: Error) => reject(new Error(`Could not listen on ${host}:${port}: ${error.message}`));
      server.once('error', onError);
      server.listen({ port, host, backlog: this.options.backlog ?? DEFAULT_LISTEN_BACKLOG }, () => {
        server.off('error', onError);
        // Errors after listening (e.g. EMFILE on accept) must not crash the process; the server keeps listening.
        server.on('error', (error: NodeJS.ErrnoException) => onDropped?.(`accept failed: ${error.code ?? error.message}`));
        const address = server.address() as net.AddressInfo;
        resolve({
          host,
          port: address.port,
          close: () => new Promise<void>(done => server.close(() => done())),
        });
      });
    });
  }

  connect(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', error => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      });
    });
  }
}
