/**
 * Named errors of the remote layer. Most of them never reach user code: they close one
 * connection with a logged reason, or become the reason of a dead letter. They are
 * exported so logs, events and tests can name them precisely.
 */
import { ActorSystemError } from '../actor/index.js';

/** Base class of every error raised by the remote layer. */
export class RemoteError extends ActorSystemError {}

/** A frame announced a length above the configured maximum; the connection is closed. */
export class FrameTooLargeError extends RemoteError {
  constructor(
    readonly size: number,
    readonly maxFrameSize: number,
  ) {
    super(
      `Frame of ${size} bytes exceeds the maximum of ${maxFrameSize} bytes; ` +
        'send smaller messages or raise maxFrameSize on both nodes',
    );
  }
}

/** The bytes on a connection do not follow the wire protocol; the connection is closed. */
export class MalformedFrameError extends RemoteError {
  constructor(reason: string) {
    super(`Malformed frame: ${reason}`);
  }
}

/** The peer of a connection was refused (or refused us) during the handshake. */
export class HandshakeRejectedError extends RemoteError {
  constructor(
    readonly reason: string,
    readonly remote: string,
  ) {
    super(`${remote} refused the handshake: ${reason}`);
  }
}

/** The handshake did not complete in time (a silent or half-open peer). */
export class HandshakeTimeoutError extends RemoteError {
  constructor(
    readonly remote: string,
    readonly timeoutMs: number,
  ) {
    super(`Handshake with ${remote} did not complete within ${timeoutMs} ms`);
  }
}

/** A message could not be turned into bytes (an unregistered class, a cycle, …). */
export class SerializationError extends RemoteError {}

/** A class instance inside a message has no registered name, so the receiver could not rebuild it. */
export class UnregisteredClassError extends SerializationError {
  constructor(readonly className: string) {
    super(
      `Class ${className} is not registered for remote messaging; decorate it with ` +
        `@Serializable('${className}') or call system.serialization.register(${className}, '${className}') on every node`,
    );
  }
}

/** Two different classes were registered under one name, or one class under two names. */
export class SerializableNameConflictError extends RemoteError {
  constructor(message: string) {
    super(message);
  }
}

/** A node was started with options that cannot work; the message names the option. */
export class RemoteConfigurationError extends RemoteError {}

/** A frame began arriving but did not complete within `frameTimeoutMs` (a trickling or stalled peer); the connection is closed. */
export class FrameTimeoutError extends RemoteError {
  constructor(
    readonly remote: string,
    readonly elapsedMs: number,
    readonly receivedBytes: number,
    readonly frameTimeoutMs: number,
  ) {
    super(
      `A frame from ${remote} started ${Math.round(elapsedMs)} ms ago is still incomplete (${receivedBytes} bytes so far; ` +
        `frameTimeoutMs ${frameTimeoutMs}): the peer is stalling, or the link is slower than maxFrameSize / frameTimeoutMs (raise frameTimeoutMs then)`,
    );
  }
}
/**
 * A message was refused on the sending side: its frame is above a limit (this node's
 * `maxFrameSize`, the peer's, or `outboundQueueBytes`), so the peer would drop the
 * connection for it or the queue could never hold it. It is a FrameTooLargeError that
 * also names the message type and the limit.
 */
export class MessageTooLargeError extends FrameTooLargeError {
  constructor(
    /** The message's class or type, as `describeValue` names it. */
    readonly messageType: string,
    size: number,
    limit: number,
    /** Which limit: `maxFrameSize`, `the peer's maxFrameSize` or `outboundQueueBytes`. */
    readonly limitName: string,
    /** `host:port` of the peer it was for. */
    readonly node: string,
  ) {
    super(size, limit);
    this.message =
      `${messageType} to ${node} not sent: its frame of ${size} bytes exceeds the maximum of ${limit} bytes (${limitName}); ` +
      'send smaller messages (split large payloads) or raise the limit (maxFrameSize on both nodes)';
  }
}

/** The outbound queue to a peer holds as many messages or bytes as allowed; the message was dropped. */
export class OutboundQueueFullError extends RemoteError {
  constructor(
    readonly node: string,
    readonly queuedMessages: number,
    readonly queuedBytes: number,
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {
    super(
      `The outbound queue to ${node} is full (${queuedMessages} messages, ${queuedBytes} bytes; ` +
        `limits outboundQueueSize ${maxMessages}, outboundQueueBytes ${maxBytes}): the peer is slow or unreachable; ` +
        'send less, wait for replies, or raise the limits',
    );
  }
}

/**
 * An association stopped trying to connect (`maxConnectAttempts` or `giveUpAfterMs` reached,
 * or its host name did not resolve); what was queued for the peer was dropped. The next
 * message to that node starts afresh.
 */
export class PeerUnreachableError extends RemoteError {
  constructor(
    readonly node: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly lastReason: string,
  ) {
    super(
      `Gave up on ${node} after ${attempts} connect attempt${attempts === 1 ? '' : 's'} in ${Math.round(elapsedMs)} ms ` +
        `(last: ${lastReason}); check that the node runs and is reachable at that address`,
    );
  }
}

/** An association was closed to make room for another (`maxAssociations` peers in use); its queue was dropped. */
export class AssociationEvictedError extends RemoteError {
  constructor(
    readonly node: string,
    readonly maxAssociations: number,
  ) {
    super(
      `The association to ${node} was closed to make room: this node sends to more than maxAssociations ` +
        `(${maxAssociations}) peers; raise maxAssociations if it really talks to that many nodes`,
    );
  }
}

/**
 * The connection to a node closed (or the node was given up) while an ask to one of its
 * actors was pending; the message may or may not have been processed there.
 */
export class PeerDisconnectedError extends RemoteError {
  constructor(
    readonly node: string,
    readonly reason: string,
  ) {
    super(`The connection to ${node} closed while waiting for the reply (${reason}); retry once the node is back if the request is idempotent`);
  }
}
