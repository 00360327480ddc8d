/**
 * A peer that completes the handshake and closes the connection at once, every time: the
 * misbehaving peer that association backoff must not redial in a tight loop.
 */
import net from 'node:net';
import { FrameDecoder, FrameKind, HANDSHAKE_MAX_FRAME_SIZE } from '../../../lib/remote/frame-codec.js';
import { PROTOCOL_VERSION, encodeAccept, encodeWelcome, newNonce } from '../../../lib/remote/handshake.js';
import { NodeIdentity } from '../../../lib/remote/node-identity.js';

export interface FlappingPeer {
  readonly port: number;
  /** `performance.now()` of every accepted connection. */
  readonly accepted: number[];
  close(): Promise<void>;
}

export async function startFlappingPeer(system: string): Promise<FlappingPeer> {
  const accepted: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    accepted.push(performance.now());
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const self = new NodeIdentity(system, '127.0.0.1', (server.address() as net.AddressInfo).port, 777);
    let stage = 0;
    const decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_SIZE, kind => {
      if (stage === 0 && kind === FrameKind.Hello) {
        stage = 1;
        socket.write(encodeWelcome({ version: PROTOCOL_VERSION, system, node: self, nonce: newNonce(), maxFrameSize: 1 << 20 }));
      } else if (stage === 1 && kind === FrameKind.Auth) {
        stage = 2;
        socket.end(encodeAccept());
      }
    });
    socket.on('data', chunk => {
      try {
        decoder.push(chunk);
      } catch {
        socket.destroy();
      }
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
