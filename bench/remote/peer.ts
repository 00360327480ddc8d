/**
 * The receiving process of the remote benchmark, driven over IPC by bench/remote.ts: it starts
 * and stops either a RemoteActorSystem (a sink that counts and acknowledges, an echo) or the
 * plain msgpack server, never both at once, and measures its own GC and allocation on request.
 */
import type net from 'node:net';
import { Behaviors, RemoteActorSystem, type ActorRef } from '../../lib/index.js';
import { ProcessMeter } from '../support/process-meter.js';
import { ACK_EVERY, Ack, Ping, Pong, StartAcks, Tick } from './messages.js';
import { plainServer } from './plain-loop.js';

export type PeerCommand =
  | { cmd: 'start-system' }
  | { cmd: 'stop-system' }
  | { cmd: 'start-plain'; flushBytes: number }
  | { cmd: 'stop-plain' }
  | { cmd: 'meter-start' }
  | { cmd: 'meter-stop' }
  | { cmd: 'exit' };

let system: RemoteActorSystem | undefined;
let plain: net.Server | undefined;
const meter = new ProcessMeter();

async function startSystem(): Promise<number> {
  const s = (system = await RemoteActorSystem.start({ name: 'bench', logLevel: 'warn' }));
  let count = 0;
  let ackTo: ActorRef<Ack> | undefined;
  s.spawn(
    Behaviors.receiveMessage<Tick | StartAcks>(message => {
      if (message instanceof StartAcks) {
        ackTo = message.replyTo;
        count = 0;
        return;
      }
      if ((++count & (ACK_EVERY - 1)) === 0) ackTo?.tell(new Ack(count));
    }),
    'sink',
  );
  s.spawn(
    Behaviors.receiveMessage<Ping>(ping => ping.replyTo.tell(new Pong(ping.n))),
    'echo',
  );
  return s.port;
}

async function handle(command: PeerCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'start-system':
      return startSystem();
    case 'stop-system':
      await system?.terminate();
      system = undefined;
      return null;
    case 'start-plain': {
      const server = (plain = plainServer(command.flushBytes));
      return new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    }
    case 'stop-plain': {
      const server = plain;
      plain = undefined;
      // Clients are gone by now; close waits for their sockets.
      await new Promise(resolve => server?.close(resolve) ?? resolve(undefined));
      return null;
    }
    case 'meter-start':
      meter.start();
      return null;
    case 'meter-stop':
      return meter.stop();
    case 'exit':
      await system?.terminate();
      plain?.close();
      // Disconnected after the answer is sent (see below): nothing else keeps this process.
      return null;
  }
}

process.on('message', (message: { id: number; command: PeerCommand }) => {
  const answer = (reply: object) => {
    if (!process.connected) return;
    if (message.command.cmd === 'exit') process.send!(reply, () => process.disconnect());
    else process.send!(reply);
  };
  handle(message.command).then(
    result => answer({ id: message.id, result }),
    (error: Error) => answer({ id: message.id, error: error.message }),
  );
});
process.send!({ ready: true });
