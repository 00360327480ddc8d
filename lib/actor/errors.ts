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

/** An `ask` got no reply within its timeout. The target may be slow, stopped or unreachable. */
export class AskTimeoutError extends ActorSystemError {
  constructor(
    readonly targetPath: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Ask to ${targetPath} got no reply within ${timeoutMs} ms; ` +
        'check that the target replies to replyTo, or raise the timeout',
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
