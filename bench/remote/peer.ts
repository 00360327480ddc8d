/**
 * The receiving process of the remote benchmark: a RemoteActorSystem with a sink (counts
 * and acknowledges) and an echo, plus two plain `net` servers for the baseline: one that
 * counts length-prefixed frames and acknowledges like the sink, one that answers each
 * frame with a reply frame. Reports its ports over IPC and exits on `{ stop: true }`.
 */
import net from 'node:net';
import { Behaviors, RemoteActorSystem, type ActorRef } from '../../lib/index.js';
import { FrameDecoder, encodeFrame } from '../../lib/remote/index.js';
import { ACK_EVERY, Ack, Blob, Ping, Pong, RAW_ACK_KIND, StartAcks, Tick } from './messages.js';
import { batchedWriter } from './batched-writer.js';

const system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'warn' });

let count = 0;
let ackTo: ActorRef<Ack> | undefined;
system.spawn(
  Behaviors.receiveMessage<Tick | Blob | StartAcks>(message => {
    if (message instanceof StartAcks) {
      ackTo = message.replyTo;
      count = 0;
      return;
    }
    if ((++count & (ACK_EVERY - 1)) === 0) ackTo?.tell(new Ack(count));
  }),
  'sink',
);

system.spawn(
  Behaviors.receiveMessage<Ping>(ping => {
    ping.replyTo.tell(new Pong(ping.n));
  }),
  'echo',
);

function rawAck(n: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(n >>> 0);
  return encodeFrame(RAW_ACK_KIND, body);
}

/** Counts frames; acknowledges every ACK_EVERY, as the sink actor does. */
const rawSink = net.createServer({ noDelay: true }, socket => {
  let frames = 0;
  const decoder = new FrameDecoder(64 * 1024 * 1024, () => {
    if ((++frames & (ACK_EVERY - 1)) === 0) socket.write(rawAck(frames));
  });
  socket.on('data', chunk => decoder.push(chunk));
  socket.on('error', () => {});
});

/** Answers each frame with a reply frame of the size the first message of the connection asks for. */
const rawEcho = net.createServer({ noDelay: true }, socket => {
  let reply: Buffer | undefined;
  const send = batchedWriter(socket);
  const decoder = new FrameDecoder(64 * 1024 * 1024, (kind, buffer, start, end) => {
    if (reply === undefined) {
      // Setup frame: the body is the reply frame to send for every request.
      reply = Buffer.from(buffer.subarray(start, end));
      return;
    }
    send(reply);
  });
  socket.on('data', chunk => decoder.push(chunk));
  socket.on('error', () => {});
});

const listen = (server: net.Server) =>
  new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
const [rawSinkPort, rawEchoPort] = await Promise.all([listen(rawSink), listen(rawEcho)]);

async function stop(): Promise<void> {
  rawSink.close();
  rawEcho.close();
  await system.terminate();
  process.exit(0);
}

process.on('message', message => {
  if ((message as { stop?: boolean }).stop) void stop();
});
process.on('disconnect', () => void stop());
process.send?.({ port: system.port, rawSinkPort, rawEchoPort });
