// The README's remoting example, kept runnable (ports chosen by the OS instead of 25520).
import { Behaviors, RemoteActorSystem, Serializable, type ActorRef } from '../../lib/index.js';

@Serializable('readme.Ping')
class Ping {
  constructor(readonly replyTo: ActorRef<Pong>) {}
}
@Serializable('readme.Pong')
class Pong {
  constructor(readonly at: Date) {}
}

it('README remoting: ask an actor of another system over TCP, with a shared secret', async () => {
  const secret = 'readme-secret';
  await using server = await RemoteActorSystem.start({ name: 'shop', host: '127.0.0.1', port: 0, secret, logLevel: 'warn' });
  server.spawn(Behaviors.receiveMessage<Ping>(p => p.replyTo.tell(new Pong(new Date()))), 'echo');
  await using client = await RemoteActorSystem.start({ name: 'shop', port: 0, secret, logLevel: 'warn' });
  const echo = client.remoteRef<Ping>(server.hostPort, '/user/echo');
  const pong = await client.ask(echo, r => new Ping(r), 2000);
  expect(pong).toBeInstanceOf(Pong);
  expect(pong.at).toBeInstanceOf(Date);
});
