/** Messages of the remote benchmark, shared by both processes. */
import { Serializable, type ActorRef } from '../../lib/index.js';

/** The small message: one number. */
@Serializable('bench.Tick')
export class Tick {
  constructor(readonly n: number) {}
}

/** The 1 KiB message. */
@Serializable('bench.Blob')
export class Blob {
  constructor(
    readonly n: number,
    readonly data: Uint8Array,
  ) {}
}

/** Resets the sink's count and names where its acknowledgements go. */
@Serializable('bench.StartAcks')
export class StartAcks {
  constructor(readonly replyTo: ActorRef<Ack>) {}
}

/** The sink has received `count` messages since StartAcks. */
@Serializable('bench.Ack')
export class Ack {
  constructor(readonly count: number) {}
}

@Serializable('bench.Ping')
export class Ping {
  constructor(
    readonly n: number,
    readonly replyTo: ActorRef<Pong>,
  ) {}
}

@Serializable('bench.Pong')
export class Pong {
  constructor(readonly n: number) {}
}

/** The sink acknowledges every ACK_EVERY messages (a power of two). */
export const ACK_EVERY = 4096;
