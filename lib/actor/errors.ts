/**
 * Named errors of the actor runtime. Each message says what went wrong and what to do,
 * because these surface in application logs far from the code that caused them.
 */

/** Base class so callers can catch every error raised by this library at once. */
export class ActorSystemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An `ask` got no reply within its timeout. The target may be slow, stopped, unreachable, or not replying. */
export class AskTimeoutError extends ActorSystemError {
  constructor(
    readonly targetPath: string,
    readonly timeoutMs: number,
    /** The class (or type) of the message that was asked, as `describeValue` names it. */
    readonly messageType = 'message',
  ) {
    super(`Ask of ${messageType} to ${targetPath} got no reply within ${timeoutMs} ms`);
  }
}

/**
 * An `ask` failed before its timeout: its message could not be delivered (the reason says
 * why: recipient stopped, queue full, frame too large, handshake refused, node gone…).
 * `cause` is the named error behind it when there is one (FrameTooLargeError, …).
 */
export class AskFailedError extends ActorSystemError {
  constructor(
    readonly targetPath: string,
    readonly messageType: string,
    readonly reason: string,
    options?: { cause?: Error },
  ) {
    super(`Ask of ${messageType} to ${targetPath} failed: ${reason}`);
    if (options?.cause) this.cause = options.cause;
  }
}

/**
 * An `ask` refused at once because `maxPendingAsks` asks of this system are already waiting
 * for replies: a bound on the memory of asks to slow or unreachable targets.
 */
export class TooManyPendingAsksError extends ActorSystemError {
  constructor(
    readonly targetPath: string,
    readonly maxPendingAsks: number,
  ) {
    super(
      `Ask to ${targetPath} refused: ${maxPendingAsks} asks are already waiting for replies (maxPendingAsks); ` +
        'wait for replies before asking more, use shorter ask timeouts, or raise maxPendingAsks',
    );
  }
}

/** A child name that is already taken by a live sibling. */
export class ActorNameTakenError extends ActorSystemError {
  constructor(readonly path: string) {
    super(`An actor named ${path} is already running; stop it first or choose another name`);
  }
}

/** A name that cannot be part of an actor path. */
export class InvalidActorNameError extends ActorSystemError {
  constructor(readonly actorName: string) {
    super(
      `Invalid actor name ${JSON.stringify(actorName)}: use letters, digits and -_.:@+!~*'()=,; ` +
        'and do not start with $ (reserved for generated names)',
    );
  }
}

/** The system has been terminated; nothing more can be spawned or asked. */
export class ActorSystemTerminatedError extends ActorSystemError {
  constructor(readonly systemName: string) {
    super(`Actor system ${systemName} is terminated; create a new one`);
  }
}
