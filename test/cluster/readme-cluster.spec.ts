// The README's cluster quick start, kept runnable (three nodes in this process, free ports).
import { Behaviors, ClusteredActorSystem, ServiceKey, type ActorRef } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';

type Greet = { readonly name: string; readonly replyTo: ActorRef<string> };
const GREETER = ServiceKey.of<Greet>('greeter');

async function greeter(port: number, seeds: string[]): Promise<ClusteredActorSystem> {
  const system = await ClusteredActorSystem.start({ name: 'demo', host: '127.0.0.1', port, seeds, logLevel: 'warn' });
  system.spawn(Behaviors.discoverable(Behaviors.receiveMessage<Greet>(m => m.replyTo.tell(`hello ${m.name}, from ${system.port}`)), GREETER), 'greeter');
  await system.cluster.whenUp();
  return system;
}

it('README cluster quick start: every node greets through every member', async () => {
  const first = await greeter(0, []);
  const others = await Promise.all([greeter(0, [first.hostPort]), greeter(0, [first.hostPort])]);
  const systems = [first, ...others];
  try {
    for (const system of systems) {
      await eventually(async () => {
        const listing = await system.lookup(GREETER);
        const replies = await Promise.all(listing.refs.map(ref => system.ask<string>(ref, replyTo => ({ name: 'you', replyTo }), 2000)));
        expect(replies.sort()).toEqual(systems.map(s => `hello you, from ${s.port}`).sort());
      });
    }
  } finally {
    await Promise.all(systems.map(s => s.terminate()));
  }
});
