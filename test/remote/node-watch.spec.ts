/**
 * The watching side's bookkeeping: which incarnation each watch ends with, and that
 * nothing stays behind once watches fire or are removed.
 */
import { ActorAddress, Behaviors } from '../../lib/index.js';
import { asInternal, type InternalActorRef } from '../../lib/actor/index.js';
import { NodeWatches, type Watched } from '../../lib/remote/node-watch.js';
import { NodeIdentity } from '../../lib/remote/node-identity.js';
import type { RemoteActorRef } from '../../lib/remote/remote-actor-ref.js';
import { startNode, terminateAll, type TestNode } from './support/nodes.js';

describe('NodeWatches', () => {
  let node: TestNode;
  let watcher: InternalActorRef<never>;
  let other: InternalActorRef<never>;
  const NODE = '127.0.0.1:4000';

  beforeAll(async () => {
    node = await startNode();
    watcher = asInternal(node.system.spawn(Behaviors.ignore, 'watcher'));
    other = asInternal(node.system.spawn(Behaviors.ignore, 'other'));
  });

  afterAll(() => terminateAll(node));

  const ref = (path: string, nodeUid = 0) =>
    node.system.remoting.remoteRef<unknown>(new ActorAddress('test', path, 0, '127.0.0.1', 4000), nodeUid) as RemoteActorRef<unknown>;
  const fired = (watches: NodeWatches, uid: number | undefined) => watches.nodeGone(NODE, uid).map(f => `${f.ref.path}:${f.watchers.length}`);

  it('ends a watch of a ref that names its incarnation with that incarnation only', () => {
    const watches = new NodeWatches();
    watches.watch(NODE, ref('/user/a', 7), watcher);
    expect(fired(watches, 8)).toEqual([]);
    expect(fired(watches, 7)).toEqual(['/user/a:1']);
    expect(watches.size).toBe(0);
  });

  it('binds a watch of a ref of any incarnation to the one up when it was made', () => {
    const watches = new NodeWatches();
    watches.nodeUp(NODE, 7);
    watches.watch(NODE, ref('/user/a'), watcher);
    expect(fired(watches, 6)).toEqual([]);
    expect(fired(watches, 7)).toEqual(['/user/a:1']);
  });

  it('binds a watch made while nothing is connected to the next incarnation, or ends it when the node is unreachable', () => {
    const watches = new NodeWatches();
    watches.watch(NODE, ref('/user/a'), watcher);
    expect(fired(watches, 5)).toEqual([]);
    watches.nodeUp(NODE, 9);
    expect(fired(watches, 9)).toEqual(['/user/a:1']);
    watches.watch(NODE, ref('/user/b'), watcher);
    expect(fired(watches, undefined)).toEqual(['/user/b:1']);
  });

  it('reports the incarnation a newer one replaces, and refuses a watch of a replaced one', () => {
    const watches = new NodeWatches();
    expect(watches.nodeUp(NODE, 1)).toBeUndefined();
    expect(watches.nodeUp(NODE, 1)).toBeUndefined();
    expect(watches.nodeUp(NODE, 2)).toBe(1);
    expect(watches.watch(NODE, ref('/user/a', 1), watcher)).toBe('gone');
    expect(watches.watch(NODE, ref('/user/a', 2), watcher)).not.toBe('gone');
  });

  it('keeps one entry per ref, counts watchers, and forgets a node once its watches are gone', () => {
    const watches = new NodeWatches();
    const a = ref('/user/a');
    watches.watch(NODE, a, watcher);
    watches.watch(NODE, a, watcher);
    watches.watch(NODE, a, other);
    watches.watch(NODE, ref('/user/b'), watcher);
    expect(watches.size).toBe(3);
    watches.unwatch(NODE, a, watcher);
    watches.unwatch(NODE, a, watcher);
    expect(watches.size).toBe(2);
    expect(fired(watches, undefined).sort()).toEqual(['/user/a:1', '/user/b:1']);
    expect(watches.size).toBe(0);
    expect(watches.nodes).toBe(0);
    expect(watches.isWatched(NODE)).toBe(false);
  });

  it('puts one watch on the wire per watched ref, whatever the number of local watchers', () => {
    const watches = new NodeWatches();
    const a = ref('/user/a');
    const first = watches.watch(NODE, a, watcher);
    expect(typeof first).toBe('object');
    expect(watches.watch(NODE, a, other)).toBe('added');
    expect(watches.wireWatches).toBe(1);
    expect(watches.unwatch(NODE, a, watcher)).toBeUndefined();
    expect(watches.unwatch(NODE, a, other)).toBe(first);
    expect(watches.wireWatches).toBe(0);
  });

  it('ends a watch by its id only when the answer comes from the incarnation it is bound to', () => {
    const watches = new NodeWatches();
    watches.nodeUp(NODE, 7);
    const entry = watches.watch(NODE, ref('/user/a'), watcher) as Watched;
    expect(watches.actorTerminated(entry.id, new NodeIdentity('test', '127.0.0.1', 5000, 7))).toBeUndefined();
    expect(watches.actorTerminated(entry.id, new NodeIdentity('test', '127.0.0.1', 4000, 8))).toBeUndefined();
    expect(watches.actorTerminated(entry.id, new NodeIdentity('test', '127.0.0.1', 4000, 7))?.watchers.size).toBe(1);
    expect(watches.size).toBe(0);
    expect(watches.wireWatches).toBe(0);
    expect(watches.nodes).toBe(0);
  });

  it('tells a reconnect from a first connection, per direction and incarnation', () => {
    const watches = new NodeWatches();
    watches.nodeUp(NODE, 7);
    expect(watches.connectionOpened(NODE, 7, 'outbound')).toBe(false);
    expect(watches.connectionOpened(NODE, 7, 'inbound')).toBe(false);
    expect(watches.connectionOpened(NODE, 7, 'outbound')).toBe(true);
    watches.nodeUp(NODE, 8);
    expect(watches.connectionOpened(NODE, 8, 'outbound')).toBe(false);
  });
});
