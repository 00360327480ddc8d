import { InvalidReceptionistOptionsError } from './invalid-receptionist-options.error.js';

/** `forRootAsync` was called without a way to produce the options. */
export class MissingOptionsFactoryError extends InvalidReceptionistOptionsError {
  constructor() {
    super(
      'ReceptionistModule.forRootAsync() needs one of useFactory, useClass or useExisting, e.g. ' +
        'forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({ systemName: config.get("NAME") }) }); ' +
        'use ReceptionistModule.forRoot({ ... }) for static options',
    );
  }
}
