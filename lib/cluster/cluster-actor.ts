/**
 * `/system/cluster`: where members' gossip arrives. It hands each message to the daemon; a
 * message that makes the daemon throw is dropped (and logged by supervision), never the actor.
 * Heartbeats do not come here: they are read where frames are decoded.
 */
import { Behaviors, SupervisorStrategy, type Behavior } from '../actor/index.js';
import type { ClusterDaemon } from './cluster-daemon.js';
import type { ClusterMessage } from './gossip-messages.js';

export const CLUSTER_ACTOR_NAME = 'cluster';
export const CLUSTER_ACTOR_PATH = `/system/${CLUSTER_ACTOR_NAME}`;

export function clusterActor(daemon: ClusterDaemon): Behavior<ClusterMessage> {
  return Behaviors.supervise(
    Behaviors.receiveMessage<ClusterMessage>(message => {
      daemon.receive(message);
    }),
    SupervisorStrategy.resume(),
  );
}
