/**
 * Admission of inbound connections: how many unauthenticated sockets a node holds while they
 * handshake (in all, and per IP address), and how many authenticated connections one peer may
 * keep. Limits close the oldest, never the newcomer, so a flood costs the flooder its own
 * sockets and a good peer that keeps dialling always gets a turn.
 *
 * A socket over a pending cap is not closed on accept but one event-loop turn later: a burst
 * of accepts runs before any of those sockets is read, and a good peer's Hello, sent right
 * after its connect, is only read in a following turn. Deferring lets that Hello be seen, and
 * a socket that sent one is evicted only after every silent one. The overshoot is bounded by
 * what two accept bursts can bring (at most twice the listen backlog).
 */
import type { ActorLogger, Scheduler } from '../actor/index.js';
import type { Connection } from './connection.js';
import type { NodeIdentity } from './node-identity.js';

export interface AdmissionSettings {
  readonly maxPendingHandshakes: number;
  readonly maxPendingPerAddress: number;
  readonly maxInboundPerPeer: number;
}

/** Counters of the admission policy, since the node started (except `pendingHandshakes`). */
export interface AdmissionStats {
  /** Inbound sockets currently in the handshake. */
  readonly pendingHandshakes: number;
  /** Pending sockets closed to make room for newer ones. */
  readonly evicted: number;
  /** Connections the transport could not accept (its own limit, EMFILE). */
  readonly droppedAccepts: number;
  /** Authenticated inbound connections closed for a newer one of the same peer (over `maxInboundPerPeer`, or a new incarnation). */
  readonly superseded: number;
}

/** At most one summary line per this interval, however hard the node is flooded. */
const LOG_INTERVAL_MS = 10_000;
/** Failed inbound handshakes logged one by one per interval; the rest are only counted. */
const FAILURES_LOGGED_PER_INTERVAL = 10;

interface Pending {
  readonly address: string;
  /** The socket sent a well-formed Hello (it may still fail to authenticate). */
  greeted: boolean;
}

export class Admission {
  /** Insertion order is age: the first entry is the oldest pending socket. */
  private readonly pending = new Map<Connection, Pending>();
  private readonly pendingByAddress = new Map<string, Set<Connection>>();
  /** Authenticated inbound connections by the peer's `host:port`, oldest first. */
  private readonly byPeer = new Map<string, Set<Connection>>();
  private enforcing = false;
  private evicted = 0;
  private droppedAccepts = 0;
  private superseded = 0;
  // What happened since the last summary line.
  private unloggedEvictions = 0;
  private readonly unloggedDrops = new Map<string, number>();
  private unloggedFailures = 0;
  private lastLogAt = -Infinity;
  private failureWindowStart = -Infinity;
  private failuresInWindow = 0;

  constructor(
    private readonly settings: AdmissionSettings,
    private readonly scheduler: Scheduler,
    private readonly log: ActorLogger,
    /** A peer authenticated inbound with this identity: the outbound side may still be connected to an older incarnation. */
    private readonly onIncarnation: (peer: NodeIdentity) => void,
  ) {}

  /** A socket accepted from `remote` (`ip:port`) starts its handshake. */
  admit(connection: Connection, remote: string): void {
    const address = remote.slice(0, Math.max(0, remote.lastIndexOf(':'))) || remote;
    this.pending.set(connection, { address, greeted: false });
    let sameAddress = this.pendingByAddress.get(address);
    if (!sameAddress) this.pendingByAddress.set(address, (sameAddress = new Set()));
    sameAddress.add(connection);
    if (this.pending.size > this.settings.maxPendingHandshakes || sameAddress.size > this.settings.maxPendingPerAddress) {
      this.scheduleEnforcement();
    }
  }

  /** The socket sent a valid Hello: it is kept in preference to sockets that have not. */
  greeted(connection: Connection): void {
    const entry = this.pending.get(connection);
    if (entry) entry.greeted = true;
  }

  /**
   * The peer proved its identity. Its older connections go when there are too many of them,
   * and at once when they belong to an older incarnation (same host:port, another uid).
   */
  authenticated(connection: Connection): void {
    this.forgetPending(connection);
    const peer = connection.peer!;
    let connections = this.byPeer.get(peer.hostPort);
    if (!connections) this.byPeer.set(peer.hostPort, (connections = new Set()));
    let current = 0;
    for (const other of [...connections]) {
      if (other.peer!.uid !== peer.uid) {
        this.superseded++;
        other.fail(`replaced by a new incarnation of ${peer.hostPort} (uid ${peer.uid})`, 'normal');
      } else current++;
    }
    connections.add(connection);
    for (const other of connections) {
      if (current < this.settings.maxInboundPerPeer) break;
      if (other === connection) continue;
      this.superseded++;
      current--;
      other.fail(`more than ${this.settings.maxInboundPerPeer} inbound connections from ${peer} (maxInboundPerPeer): closing the oldest`, 'normal');
    }
    this.onIncarnation(peer);
  }

  /** Whatever the connection held is released. */
  closed(connection: Connection): void {
    this.forgetPending(connection);
    const peer = connection.peer;
    if (!peer) return;
    const connections = this.byPeer.get(peer.hostPort);
    if (connections?.delete(connection) && connections.size === 0) this.byPeer.delete(peer.hostPort);
  }

  /** The transport could not accept a connection. */
  dropped(reason: string): void {
    this.droppedAccepts++;
    this.unloggedDrops.set(reason, (this.unloggedDrops.get(reason) ?? 0) + 1);
    this.logSummary();
  }

  /**
   * Logs a failed inbound handshake, unless many did this interval: whoever can open a socket
   * can make handshakes fail, so the log must not grow with their rate.
   */
  handshakeFailed(line: string): void {
    const now = this.scheduler.now();
    if (now - this.failureWindowStart >= LOG_INTERVAL_MS) {
      this.failureWindowStart = now;
      this.failuresInWindow = 0;
    }
    if (++this.failuresInWindow <= FAILURES_LOGGED_PER_INTERVAL) {
      this.log.warn(line);
      return;
    }
    this.unloggedFailures++;
    this.logSummary();
  }

  /** Called every heartbeat interval: writes the summary line a quiet spell would otherwise hold back. */
  tick(): void {
    this.logSummary();
  }

  stats(): AdmissionStats {
    return { pendingHandshakes: this.pending.size, evicted: this.evicted, droppedAccepts: this.droppedAccepts, superseded: this.superseded };
  }

  // ---- internals -------------------------------------------------------------------------

  private forgetPending(connection: Connection): void {
    const entry = this.pending.get(connection);
    if (!entry) return;
    this.pending.delete(connection);
    const sameAddress = this.pendingByAddress.get(entry.address)!;
    sameAddress.delete(connection);
    if (sameAddress.size === 0) this.pendingByAddress.delete(entry.address);
  }

  private scheduleEnforcement(): void {
    if (this.enforcing) return;
    this.enforcing = true;
    // Two hops: the first runs before the next poll phase, the second after it (see the module comment).
    setImmediate(() => setImmediate(this.enforce));
  }

  private readonly enforce = (): void => {
    this.enforcing = false;
    const { maxPendingPerAddress, maxPendingHandshakes } = this.settings;
    for (const [address, sameAddress] of [...this.pendingByAddress]) {
      if (sameAddress.size > maxPendingPerAddress) {
        this.evictOldest(sameAddress, sameAddress.size - maxPendingPerAddress, `too many pending handshakes from ${address} (maxPendingPerAddress ${maxPendingPerAddress})`);
      }
    }
    if (this.pending.size > maxPendingHandshakes) {
      this.evictOldest(this.pending.keys(), this.pending.size - maxPendingHandshakes, `too many pending handshakes (maxPendingHandshakes ${maxPendingHandshakes})`);
    }
  };

  /** Evicts `count` of `candidates` (oldest first): all silent ones before any that sent a Hello. */
  private evictOldest(candidates: Iterable<Connection>, count: number, reason: string): void {
    const silent: Connection[] = [];
    const greeted: Connection[] = [];
    for (const connection of candidates) {
      const entry = this.pending.get(connection);
      if (!entry) continue;
      if (!entry.greeted) {
        silent.push(connection);
        if (silent.length >= count) break;
      } else if (greeted.length < count) greeted.push(connection);
    }
    const victims = silent.concat(greeted).slice(0, count);
    for (const connection of victims) {
      this.forgetPending(connection);
      connection.evict(`${reason}: the node is busy, retry`);
    }
    this.evicted += victims.length;
    this.unloggedEvictions += victims.length;
    this.logSummary();
  }

  private logSummary(): void {
    if (this.unloggedEvictions === 0 && this.unloggedDrops.size === 0 && this.unloggedFailures === 0) return;
    const now = this.scheduler.now();
    if (now - this.lastLogAt < LOG_INTERVAL_MS) return;
    const parts: string[] = [];
    if (this.unloggedEvictions > 0) parts.push(`closed ${this.unloggedEvictions} pending handshakes to make room (more inbound sockets than maxPendingHandshakes/maxPendingPerAddress)`);
    for (const [reason, count] of this.unloggedDrops) parts.push(`dropped ${count} accepts: ${reason}`);
    if (this.unloggedFailures > 0) parts.push(`${this.unloggedFailures} more failed handshakes not logged one by one`);
    const since = Number.isFinite(this.lastLogAt) ? ` in the last ${Math.round((now - this.lastLogAt) / 1000)} s` : '';
    this.log.warn(`Inbound admission${since}: ${parts.join('; ')} (totals: ${this.evicted} evicted, ${this.droppedAccepts} dropped)`);
    this.lastLogAt = now;
    this.unloggedEvictions = 0;
    this.unloggedDrops.clear();
    this.unloggedFailures = 0;
  }
}
