/**
 * Joining through seeds: a join request to every seed but this node, again and again with
 * backoff, until one that is up welcomes it; forever, so a node started before its seeds
 * joins once they are up. Only the first seed of the list may form a new cluster, and only
 * after no other seed answered within `seedTimeoutMs` (at once when it is the only seed):
 * two nodes started together cannot both form one.
 */
import type { Cancellable, Scheduler } from '../actor/index.js';
import type { ClusterSettings } from './cluster-settings.js';

export interface SeedContact {
  /** Sends a join request to `hostPort`; false when one is still waiting to be sent there. */
  requestJoin(hostPort: string): boolean;
  /** No seed answered in time and this node is the first seed: start a new cluster. */
  form(): void;
}

export class SeedJoiner {
  private readonly contacts: string[];
  private readonly firstSeed: boolean;
  private retryTimer?: Cancellable;
  private formTimer?: Cancellable;
  private delayMs: number;
  private done = false;

  constructor(
    private readonly settings: ClusterSettings,
    selfHostPort: string,
    private readonly scheduler: Scheduler,
    private readonly contact: SeedContact,
  ) {
    this.contacts = settings.seeds.map(s => s.hostPort).filter(s => s !== selfHostPort);
    this.firstSeed = settings.seeds.length === 0 || settings.seeds[0]!.hostPort === selfHostPort;
    this.delayMs = settings.joinRetryMinMs;
  }

  /** The seeds other than this node. */
  get otherSeeds(): readonly string[] {
    return this.contacts;
  }

  start(): void {
    if (this.contacts.length === 0) {
      if (this.firstSeed) this.finish(() => this.contact.form());
      return;
    }
    if (this.firstSeed) {
      this.formTimer = this.scheduler.schedule(this.settings.seedTimeoutMs, () => this.finish(() => this.contact.form()));
    }
    this.attempt();
  }

  /** A seed (or any member) welcomed this node. */
  welcomed(): void {
    this.finish(() => {});
  }

  stop(): void {
    this.finish(() => {});
  }

  private attempt(): void {
    if (this.done) return;
    for (const seed of this.contacts) this.contact.requestJoin(seed);
    // Jittered, so nodes started together do not knock in step.
    const delay = this.delayMs * (0.8 + Math.random() * 0.4);
    this.delayMs = Math.min(this.settings.joinRetryMaxMs, this.delayMs * 2);
    this.retryTimer = this.scheduler.schedule(delay, () => this.attempt());
  }

  private finish(then: () => void): void {
    if (this.done) return;
    this.done = true;
    this.retryTimer?.cancel();
    this.formTimer?.cancel();
    then();
  }
}
