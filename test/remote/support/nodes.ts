/**
 * Helpers for remoting tests: nodes with captured logs, and a raw client that speaks the
 * wire protocol by hand so tests can misbehave precisely.
 */
import net from 'node:net';
import { ActorAddress, RemoteActorSystem, type LoggerFactory, type RemoteActorSystemOptions } from '../../../lib/index.js';
import { FrameDecoder, FrameKind, HANDSHAKE_MAX_FRAME_SIZE } from '../../../lib/remote/frame-codec.js';
import {
  PROTOCOL_VERSION,
  computeProof,
  decodeHelloFields,
  decodeReject,
  encodeAuth,
  encodeHello,
  newNonce,
  parseHello,
} from '../../../lib/remote/handshake.js';
import { NodeIdentity } from '../../../lib/remote/node-identity.js';
import { until } from '../../support/eventually.js';

export interface LogLine {
  level: 'debug' | 'log' | 'warn' | 'error';
  context: string;
  message: string;
}

/** A logger factory that records every line (and prints nothing). */
export function captureLogs(): { factory: LoggerFactory; lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const factory: LoggerFactory = context => ({
    debug: message => lines.push({ level: 'debug', context, message }),
    log: message => lines.push({ level: 'log', context, message }),
    warn: message => lines.push({ level: 'warn', context, message }),
    error: message => lines.push({ level: 'error', context, message }),
  });
  return { factory, lines, text: () => lines.map(l => `${l.level} ${l.message}`).join('\n') };
}

export interface TestNode {
  system: RemoteActorSystem;
  logs: ReturnType<typeof captureLogs>;
}

/** Starts a node on a free loopback port with short timeouts suited to tests. */
export async function startNode(options: Partial<RemoteActorSystemOptions> = {}): Promise<TestNode> {
  const logs = captureLogs();
  const system = await RemoteActorSystem.start({
    name: 'test',
    logger: logs.factory,
    deadLetterLogLimit: 0,
    handshakeTimeoutMs: 2000,
    minBackoffMs: 20,
    maxBackoffMs: 200,
    ...options,
  });
  return { system, logs };
}

export async function terminateAll(...nodes: (TestNode | RemoteActorSystem | undefined)[]): Promise<void> {
  await Promise.all(nodes.map(n => (n instanceof RemoteActorSystem ? n : n?.system)?.terminate()));
}

/** A raw TCP client that records the frames it receives and whether the node closed it. */
export class RawClient {
  readonly frames: { kind: number; body: Buffer }[] = [];
  closed = false;
  readonly whenClosed: Promise<void>;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024, (kind, buffer, start, end) => {
    this.frames.push({ kind, body: Buffer.from(buffer.subarray(start, end)) });
  });

  private constructor(readonly socket: net.Socket) {
    socket.on('data', chunk => {
      try {
        this.decoder.push(chunk);
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    this.whenClosed = new Promise(resolve =>
      socket.on('close', () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  async waitForFrame(kind: number, timeoutMs = 3000): Promise<Buffer> {
    await until(() => this.frames.some(f => f.kind === kind) || this.closed, `frame kind ${kind}`, timeoutMs);
    const frame = this.frames.find(f => f.kind === kind);
    if (!frame) throw new Error(`connection closed before frame kind ${kind}; got kinds ${this.frames.map(f => f.kind).join(',')}`);
    return frame.body;
  }

  /** The reason in a Reject frame, if the node sent one. */
  rejectReason(): string | undefined {
    const frame = this.frames.find(f => f.kind === FrameKind.Reject);
    return frame ? decodeReject(frame.body, 0, frame.body.length).reason : undefined;
  }

  async closedWithin(timeoutMs = 3000): Promise<void> {
    await until(() => this.closed, 'the node to close the raw connection', timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface RawHandshakeOptions {
  system?: string;
  version?: number;
  secret?: string;
  /** Identity the raw client claims (its port is not listened on). */
  port?: number;
}

/** Performs the connecting side of the handshake by hand; resolves once Accept (or a close) arrives. */
export async function rawHandshake(port: number, options: RawHandshakeOptions = {}): Promise<RawClient> {
  const client = await RawClient.connect(port);
  const system = options.system ?? 'test';
  const node = new NodeIdentity(system, '127.0.0.1', options.port ?? 1, 424242);
  const nonce = newNonce();
  client.write(encodeHello({ version: options.version ?? PROTOCOL_VERSION, system, node, nonce, maxFrameSize: 4 * 1024 * 1024 }));
  const body = await client.waitForFrame(FrameKind.Welcome);
  const welcome = parseHello(decodeHelloFields(body, 0, body.length), 'Welcome');
  const secret = options.secret === undefined ? undefined : Buffer.from(options.secret);
  client.write(encodeAuth({ proof: secret ? computeProof(secret, 'connecting', { node, nonce }, welcome) : undefined }));
  await until(() => client.frames.some(f => f.kind === FrameKind.Accept) || client.closed, 'Accept', 3000);
  return client;
}

/** The address string of `path` on `system` for a uid, as dead letters name it. */
export function addressOf(system: RemoteActorSystem, path: string, uid: number): string {
  return new ActorAddress(system.name, path, uid, system.host, system.port).toString();
}

export { FrameKind, HANDSHAKE_MAX_FRAME_SIZE };
