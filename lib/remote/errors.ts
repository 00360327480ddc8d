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
