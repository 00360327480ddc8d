/**
 * What two nodes say to each other about actor-level watches: plain-data envelopes sent as
 * ordinary Message frames to the reserved path `/system/remote-watcher`, which remoting
 * handles itself as frames arrive (it knows which authenticated peer sent them). An older
 * node without remote watch dead-letters them and the watch stays at node level.
 *
 * A watch is named by an id the watching node chooses, echoed in the answer, so neither side
 * has to agree on how the other spells host names. Every codec checks shape and types.
 */
import { registerGlobally } from './serialization.js';

/** The endpoint of remote watch on every node (handled by remoting, not an actor). */
export const REMOTE_WATCHER_PATH = '/system/remote-watcher';

/** Longest path a Watch may name, as for a message's recipient. */
export const MAX_WATCH_PATH_LENGTH = 2048;

/** Why a watched actor counts as terminated for its watcher. */
export type WatchEnd =
  /** It stopped. */
  | 'stopped'
  /** No actor of that path (and uid) existed when the watch arrived, or the node incarnation addressed is gone. */
  | 'missing'
  /** The watched node refuses watches of this path (remote peers may not message it). */
  | 'refused-path'
  /** The watched node holds as many watches for this peer as it allows (`maxWatchesPerPeer`). */
  | 'refused-limit';

const WATCH_ENDS: ReadonlySet<string> = new Set<WatchEnd>(['stopped', 'missing', 'refused-path', 'refused-limit']);

/** Watching node to watched node: tell me (`id`) when the actor at `path#uid` stops (uid 0: whichever runs there). */
export class Watch {
  constructor(
    readonly id: number,
    readonly path: string,
    readonly uid: number,
  ) {}
}

/** Watching node to watched node: forget watch `id`. */
export class Unwatch {
  constructor(readonly id: number) {}
}

/** Watched node to watching node: watch `id` has ended, and why. */
export class WatchedTerminated {
  constructor(
    readonly id: number,
    readonly end: WatchEnd,
  ) {}
}

function tuple(data: unknown, length: number): unknown[] {
  if (!Array.isArray(data) || data.length !== length) throw new TypeError(`expected an array of ${length}`);
  return data;
}

function watchId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new TypeError('a watch id is a positive integer');
  return value;
}

registerGlobally(Watch, {
  name: 'remote.Watch',
  codec: {
    toWire: m => [m.id, m.path, m.uid],
    fromWire: d => {
      const [id, path, uid] = tuple(d, 3);
      if (typeof path !== 'string' || path.charCodeAt(0) !== 47 /* / */ || path.length > MAX_WATCH_PATH_LENGTH) {
        throw new TypeError(`a watched path is a string starting with / of at most ${MAX_WATCH_PATH_LENGTH} characters`);
      }
      if (typeof uid !== 'number' || !Number.isSafeInteger(uid) || uid < 0) throw new TypeError('a watched uid is a non-negative integer');
      return new Watch(watchId(id), path, uid);
    },
  },
});

registerGlobally(Unwatch, {
  name: 'remote.Unwatch',
  codec: {
    toWire: m => m.id,
    fromWire: d => new Unwatch(watchId(d)),
  },
});

registerGlobally(WatchedTerminated, {
  name: 'remote.WatchedTerminated',
  codec: {
    toWire: m => [m.id, m.end],
    fromWire: d => {
      const [id, end] = tuple(d, 2);
      if (typeof end !== 'string' || !WATCH_ENDS.has(end)) throw new TypeError('unknown reason for the end of a watch');
      return new WatchedTerminated(watchId(id), end as WatchEnd);
    },
  },
});
