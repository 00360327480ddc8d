import { ActorSystemError } from '../../actor/index.js';

/** `forRoot` / `forRootAsync` got options it cannot run with; the message names the field. */
export class InvalidReceptionistOptionsError extends ActorSystemError {
  constructor(detail: string) {
    super(`Invalid ReceptionistModule options: ${detail}`);
  }
}
