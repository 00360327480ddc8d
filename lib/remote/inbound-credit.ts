/**
 * Flow control of the messages one connection brings in: counts those handed to local actors
 * and not yet taken out of their mailboxes, stops reading the socket at the credit and reads
 * again once half of it has drained. A slow actor thus slows its remote senders through TCP
 * (their socket writes push back, their bounded outbound queues fill) instead of growing memory.
 */
import type { DeliveryReceipt } from '../actor/index.js';

/** The side of a connection the credit throttles. */
export interface PausableReader {
  pauseReading(): void;
  resumeReading(): void;
}

/** Counters shared by every connection's credit of one node, so totals survive closed connections. */
export interface CreditTotals {
  pauses: number;
}

/**
 * One object per connection, passed as the receipt of every message it delivers (no allocation
 * per message). Receipts that arrive after the connection closed only decrement the count.
 */
export class InboundCredit implements DeliveryReceipt {
  /** Messages handed to local actors and not yet taken out of their mailboxes. */
  undelivered = 0;
  /** Highest `undelivered` seen: the credit plus at most what one socket read carried. */
  peak = 0;
  /** Times reading stopped at the credit. */
  pauses = 0;
  private paused = false;
  private closed = false;
  /** Half the credit: low enough that resuming is rare, high enough that the actors never run dry while the socket refills. */
  private readonly resumeAt: number;

  constructor(
    private readonly reader: PausableReader,
    readonly limit: number,
    private readonly totals: CreditTotals,
  ) {
    this.resumeAt = Math.floor(limit / 2);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Counts a message about to be handed to an actor (before the hand-over: a ref without a
   * mailbox tells its receipt at once). Frames already read keep being delivered after the
   * pause, so nothing is lost or reordered; the count may pass the credit by one read's worth.
   */
  handOver(): void {
    const n = ++this.undelivered;
    if (n > this.peak) this.peak = n;
    if (n >= this.limit && !this.paused && !this.closed) {
      this.paused = true;
      this.pauses++;
      this.totals.pauses++;
      this.reader.pauseReading();
    }
  }

  /** The receipt: an actor took one of this connection's messages (or it was dropped). */
  delivered(): void {
    if (--this.undelivered <= this.resumeAt && this.paused) {
      this.paused = false;
      if (!this.closed) this.reader.resumeReading();
    }
  }

  /** The connection closed: messages still in mailboxes are delivered as usual, and their receipts change nothing. */
  close(): void {
    this.closed = true;
    this.paused = false;
  }
}
