/**
 * A watcher actor for remote watch tests: it watches a ref at start and reports to a probe,
 * `terminated <path>@<port>` for each Terminated and `did <command>` for each command.
 */
import { Behaviors, Terminated, type ActorRef, type ActorSystem } from '../../../lib/index.js';
import type { TestProbe } from '../../support/probe.js';

export type WatcherCommand = 'unwatch' | 'ping';

export function spawnWatcher(system: ActorSystem, target: ActorRef<never>, probe: TestProbe<string>): ActorRef<WatcherCommand> {
  return system.spawn(
    Behaviors.setup<WatcherCommand>(ctx => {
      ctx.watch(target);
      return Behaviors.receive<WatcherCommand>((ctx, command) => {
        if (command === 'unwatch') ctx.unwatch(target);
        probe.ref.tell(`did ${command}`);
      }).receiveSignal((_ctx, signal) => {
        if (signal instanceof Terminated) probe.ref.tell(`terminated ${signal.ref.path}@${signal.ref.address.port}`);
      });
    }),
  );
}
