/**
 * Turns the host name of a peer's address into an IP address, once per association, with
 * bounded work: refs arriving from the wire may name any host, and every lookup occupies a
 * thread of libuv's small pool (shared with file I/O), so a flood of made-up names must not
 * queue unbounded DNS work. IP literals never reach DNS.
 */
import { lookup } from 'node:dns';
import { isIP } from 'node:net';

/** Resolves a host to the address to dial; `wanted` is asked before a queued lookup starts (a dropped association needs none). */
export type HostResolver = (host: string, wanted: () => boolean) => Promise<string>;

/** Lookups running at once: half of libuv's default pool of 4, so file I/O keeps its threads. */
const MAX_CONCURRENT = 2;
/** Lookups waiting beyond this many fail at once: the names come faster than DNS answers. */
const MAX_WAITING = 64;
/** A name that just failed fails again without a lookup for this long. */
const NEGATIVE_TTL_MS = 5000;
const MAX_NEGATIVE = 1024;

interface Waiting {
  host: string;
  wanted: () => boolean;
  resolve: (address: string) => void;
  reject: (error: Error) => void;
}

type Lookup = (host: string, callback: (error: Error | null, address: string) => void) => void;

/** `lookup` is dns.lookup unless a test passes its own. */
export function dnsHostResolver(now: () => number = () => performance.now(), lookupHost: Lookup = lookup): HostResolver {
  let running = 0;
  const waiting: Waiting[] = [];
  const failed = new Map<string, { at: number; error: Error }>();

  const start = (job: Waiting): void => {
    running++;
    lookupHost(job.host, (error, address) => {
      running--;
      if (error) {
        if (failed.size >= MAX_NEGATIVE) failed.delete(failed.keys().next().value as string);
        failed.set(job.host, { at: now(), error });
        job.reject(error);
      } else {
        job.resolve(address);
      }
      next();
    });
  };

  const next = (): void => {
    while (running < MAX_CONCURRENT && waiting.length > 0) {
      const job = waiting.shift()!;
      if (job.wanted()) start(job);
      else job.reject(new Error('lookup no longer needed'));
    }
  };

  return (host, wanted) => {
    if (isIP(host) !== 0) return Promise.resolve(host);
    const recent = failed.get(host);
    if (recent !== undefined) {
      if (now() - recent.at < NEGATIVE_TTL_MS) return Promise.reject(recent.error);
      failed.delete(host);
    }
    return new Promise<string>((resolve, reject) => {
      const job = { host, wanted, resolve, reject };
      if (running < MAX_CONCURRENT) start(job);
      else if (waiting.length < MAX_WAITING) waiting.push(job);
      else reject(new Error(`${MAX_WAITING} host names are already waiting for DNS`));
    });
  };
}
