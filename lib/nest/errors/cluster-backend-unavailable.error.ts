import { InvalidReceptionistOptionsError } from './invalid-receptionist-options.error.js';

/** The options ask for a cluster, which this version cannot run yet. */
export class ClusterBackendUnavailableError extends InvalidReceptionistOptionsError {
  constructor() {
    super(
      'the `cluster` option is not supported yet: the cluster backend (ClusteredActorSystem) is not available in this version. ' +
        'Remove `cluster` to run a single-process actor system with its local receptionist',
    );
  }
}
