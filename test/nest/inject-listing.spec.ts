import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import {
  ActorStopped,
  ActorSystem,
  Behaviors,
  Discoverable,
  InjectListing,
  ReceptionistModule,
  ReceptionistService,
  ServiceKey,
  getListingToken,
  type ActorHandler,
  type Listing,
} from '../../lib/index.js';
import { until } from '../support/eventually.js';
import { CHAT_KEY, type ChatMsg } from './fixtures/messages.js';

@Discoverable(CHAT_KEY)
@Injectable()
class LobbyChat implements ActorHandler<ChatMsg> {
  receive(): void {}
}

/** Records every listing it is given, as an application's presence monitor would. */
@Injectable()
class PresenceMonitor {
  readonly listings: Listing<ChatMsg>[] = [];
  completed = false;

  constructor(@InjectListing(CHAT_KEY) readonly chats$: Observable<Listing<ChatMsg>>) {
    // Never unsubscribed on purpose: the stream must complete by itself at shutdown.
    chats$.subscribe({ next: l => this.listings.push(l), complete: () => (this.completed = true) });
  }

  get sizes(): number[] {
    return this.listings.map(l => l.refs.length);
  }
}

@Injectable()
class OtherMonitor {
  constructor(@InjectListing(CHAT_KEY) readonly chats$: Observable<Listing<ChatMsg>>) {}
}

@Module({ imports: [ReceptionistModule.forFeature([CHAT_KEY])], providers: [PresenceMonitor, LobbyChat] })
class ChatModule {}

@Module({ imports: [ReceptionistModule.forFeature([CHAT_KEY])], providers: [OtherMonitor] })
class OtherModule {}

describe('@InjectListing and forFeature', () => {
  let app: TestingModule | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(): Promise<TestingModule> {
    app = await Test.createTestingModule({ imports: [ReceptionistModule.forRoot(), ChatModule, OtherModule] }).compile();
    await app.init();
    return app;
  }

  it('emits the current listing first, then one listing per change', async () => {
    await boot();
    const monitor = app!.get(PresenceMonitor);
    const receptionist = app!.get(ReceptionistService);
    await until(() => monitor.sizes.at(-1) === 1, 'the bootstrap handler in the listing');

    const extra = receptionist.system.spawn(Behaviors.discoverable(Behaviors.ignore as never, CHAT_KEY), 'extra-chat');
    await until(() => monitor.sizes.at(-1) === 2, 'the new chat actor in the listing');
    receptionist.system.stop(extra);
    await until(() => monitor.sizes.at(-1) === 1, 'the stopped chat actor gone from the listing');

    // Subscribed at construction, before bootstrap: the first listing was the empty one of that moment.
    expect(monitor.sizes).toEqual([0, 1, 2, 1]);
    expect(monitor.listings.at(-1)!.refs[0].path).toBe('/user/LobbyChat');
  });

  it('gives a late subscriber the current listing at once', async () => {
    await boot();
    const receptionist = app!.get(ReceptionistService);
    const monitor = app!.get(PresenceMonitor);
    await until(() => monitor.sizes.at(-1) === 1, 'the bootstrap handler in the listing');

    const late: number[] = [];
    const subscription = app!.get(OtherMonitor).chats$.subscribe(l => late.push(l.refs.length));
    const fresh: number[] = [];
    const other = receptionist.subscribe(CHAT_KEY).subscribe(l => fresh.push(l.refs.length));

    expect(late).toEqual([1]);
    expect(fresh).toEqual([1]);
    subscription.unsubscribe();
    other.unsubscribe();
  });

  it('shares one receptionist subscription per key between modules', async () => {
    await boot();

    expect(app!.get(OtherMonitor).chats$).toBe(app!.get(PresenceMonitor).chats$);
    expect(app!.get(getListingToken(CHAT_KEY), { strict: false })).toBe(app!.get(PresenceMonitor).chats$);
  });

  it("drops the app's entries, then completes, when the application closes", async () => {
    await boot();
    const monitor = app!.get(PresenceMonitor);
    const system = app!.get(ActorSystem);
    const stopped: string[] = [];
    system.eventStream.subscribe(ActorStopped, event => stopped.push(event.ref.path));
    await until(() => monitor.sizes.at(-1) === 1, 'the bootstrap handler in the listing');

    await app!.close();
    app = undefined;

    expect(monitor.completed).toBe(true);
    expect(monitor.listings.at(-1)!.isEmpty).toBe(true);
    expect(system.isTerminated).toBe(true);
    expect(stopped).toEqual(expect.arrayContaining(['/user/LobbyChat', expect.stringMatching(/^\/system\/listing-chat-/)]));
  });

  it('stops the subscriber actor when the last observer leaves, and starts afresh for the next', async () => {
    await boot();
    const ROOMS = ServiceKey.of<string>('rooms');
    const receptionist = app!.get(ReceptionistService);
    const system = receptionist.system;
    const stopped: string[] = [];
    system.eventStream.subscribe(ActorStopped, event => stopped.push(event.ref.path));

    const first: number[] = [];
    const a = receptionist.subscribe(ROOMS).subscribe(l => first.push(l.refs.length));
    const b = receptionist.subscribe(ROOMS).subscribe(() => undefined);
    await until(() => first.length === 1, 'the first listing');
    a.unsubscribe();
    b.unsubscribe();
    await until(() => stopped.some(path => path.startsWith('/system/listing-rooms-')), 'the subscriber actor to stop');

    system.spawn(Behaviors.discoverable(Behaviors.ignore as never, ROOMS), 'room');
    const second: number[] = [];
    const c = receptionist.subscribe(ROOMS).subscribe(l => second.push(l.refs.length));
    await until(() => second.length === 1, 'the current listing for the new observer');
    c.unsubscribe();

    expect(first).toEqual([0]);
    expect(second).toEqual([1]);
    expect(system.deadLetterCount).toBe(0);
  });

  it('names the missing key when @InjectListing has no matching forFeature', async () => {
    @Injectable()
    class Orphan {
      constructor(@InjectListing(CHAT_KEY) readonly chats$: Observable<Listing<ChatMsg>>) {}
    }

    await expect(
      Test.createTestingModule({ imports: [ReceptionistModule.forRoot()], providers: [Orphan] }).compile(),
    ).rejects.toThrow(/ReceptionistListing\(chat\)/);
  });
});
