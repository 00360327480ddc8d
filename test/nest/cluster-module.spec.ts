/**
 * ReceptionistModule with `cluster`: each application is a cluster member, a @Discoverable
 * handler of one application is found and asked from another, and app.close() leaves the
 * cluster gracefully (its handlers are gone from the other members when close resolves).
 */
import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ActorSystem, ClusteredActorSystem, ReceptionistModule, ReceptionistService, registerSerializable } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { Greeting, PingHandler } from './fixtures/handlers.js';
import { PING_KEY, Ping, Pong } from './fixtures/messages.js';

registerSerializable(Ping, 'test.nest.Ping');
registerSerializable(Pong, 'test.nest.Pong');

const timings = { monitorHeartbeatIntervalMs: 100, gossipIntervalMs: 200, leaveTimeoutMs: 1000, joinRetryMinMs: 50, joinRetryMaxMs: 400 };

async function boot(seeds: string[], handlers: boolean): Promise<TestingModule> {
  @Module({
    imports: [ReceptionistModule.forRoot({ systemName: 'shop', logLevel: 'warn', cluster: { host: '127.0.0.1', port: 0, seeds, ...timings } })],
    providers: handlers ? [Greeting, PingHandler] : [],
  })
  class AppModule {}
  const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
  await app.init();
  return app;
}

describe('ReceptionistModule with a cluster', () => {
  const apps: TestingModule[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map(app => app.close()));
  });

  it('runs each application as a cluster member whose handlers every member finds, and leaves on close', async () => {
    const first = await boot([], true);
    apps.push(first);
    const system = first.get(ActorSystem);
    expect(system).toBeInstanceOf(ClusteredActorSystem);
    const seed = (system as ClusteredActorSystem).hostPort;
    const second = await boot([seed], false);
    apps.push(second);
    const other = second.get(ActorSystem) as ClusteredActorSystem;
    await other.cluster.whenUp();

    const receptionist = second.get(ReceptionistService);
    const listing = await eventually(async () => {
      const found = await receptionist.find(PING_KEY);
      expect(found.allInstances.map(i => i.node)).toEqual([system.selfNode]);
      return found;
    });
    const pong = await receptionist.ask<Pong>(listing.refs[0]!, replyTo => new Ping('over the wire', replyTo));
    expect(pong.text).toMatch(/^pong:over the wire from \/user\//);

    await first.close();
    apps.splice(apps.indexOf(first), 1);
    // No polling: the close resolved after the other member acknowledged the leave.
    expect((await receptionist.find(PING_KEY)).allInstances).toEqual([]);
    expect(other.cluster.members.map(m => m.node)).toEqual([other.selfNode]);
  });
});
