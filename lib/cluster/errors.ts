/**
 * Named errors of the cluster layer. Those about peer data close or ignore one message
 * with a logged reason; the others are misuse by the caller and say what to do instead.
 */
import { ActorSystemError } from '../actor/index.js';

/** Base class of every error raised by the cluster layer. */
export class ClusterError extends ActorSystemError {}

/** A peer sent cluster state that does not have the shape of any known message. */
export class MalformedClusterMessageError extends ClusterError {
  constructor(readonly reason: string) {
    super(`Malformed cluster message: ${reason}`);
  }
}

/** A peer speaks another major version of the replicated state; the two cannot interoperate. */
export class IncompatibleClusterVersionError extends ClusterError {
  constructor(
    readonly peerVersion: number,
    readonly ourVersion: number,
  ) {
    super(
      `A peer sent cluster state of format version ${peerVersion}, this node speaks version ${ourVersion}; ` +
        'run versions of one major release side by side only',
    );
  }
}

/** The owner tried to move its own status backwards, or to a status only other nodes assign. */
export class InvalidStatusTransitionError extends ClusterError {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`A node cannot move its own status from ${from} to ${to}; statuses only move forward (joining, up, leaving, removed)`);
  }
}

/** A chunk budget smaller than the largest single entry plus a chunk's header. */
export class ChunkBudgetTooSmallError extends ClusterError {
  constructor(
    readonly maxChunkBytes: number,
    readonly neededBytes: number,
  ) {
    super(`A record chunk needs at least ${neededBytes} bytes to carry one entry, the budget is ${maxChunkBytes}; raise maxFrameSize`);
  }
}

/** A cluster option is missing, of the wrong type or out of range; the message names it and what to use. */
export class ClusterConfigurationError extends ClusterError {
  constructor(detail: string) {
    super(`Invalid cluster configuration: ${detail}`);
  }
}

/** The node is not (or no longer) a member: it left, or its system stopped, before the operation could complete. */
export class NotAMemberError extends ClusterError {
  constructor(readonly node: string) {
    super(`${node} is not a member of the cluster: it left (or its system stopped) before it was up`);
  }
}
