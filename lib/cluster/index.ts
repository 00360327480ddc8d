/**
 * The cluster: `ClusteredActorSystem` (membership, gossip, failure detection and the
 * receptionist replicated across nodes), and under it the pure core (the replicated state,
 * its wire shapes, the membership rules and the phi-accrual detector) that it drives.
 */
export { ClusteredActorSystem } from './clustered-actor-system.js';
export { Cluster, type ClusterEvents, type ClusterEventSubscriber } from './cluster.js';
export {
  ClusterEvent,
  MemberJoined,
  MemberUp,
  MemberLeft,
  MemberDown,
  MemberRemoved,
  UnreachableMember,
  ReachableMember,
  type ClusterMember,
} from './cluster-events.js';
export {
  DEFAULT_MONITOR_HEARTBEAT_INTERVAL_MS,
  resolveClusterSettings,
  type ClusterSettings,
  type ClusteredActorSystemOptions,
} from './cluster-settings.js';
export { clusterReceptionist, RegistryUpdate, type ClusterRegistryPort, type RemoteEntry } from './cluster-receptionist.js';
export { CLUSTER_ACTOR_PATH } from './cluster-actor.js';
export { probeListener, type ProbeResult } from './death-probe.js';
export { HeartbeatMonitor } from './heartbeat-monitor.js';
export {
  GossipAck,
  GossipDigest,
  GossipPull,
  GossipPush,
  GossipRecords,
  GossipWelcome,
  InvalidGossip,
  LeaveRequest,
  registerClusterMessages,
  type ClusterMessage,
} from './gossip-messages.js';
export {
  ClusterState,
  CLUSTER_STATE_VERSION,
  MEMBER_STATUSES,
  canMoveOwnStatus,
  composeDeltas,
  isGoneStatus,
  type ApplyOutcome,
  type ApplyResult,
  type Changes,
  type ClusterStateOptions,
  type Delta,
  type Digest,
  type DigestComparison,
  type EntryChange,
  type GoneMark,
  type GoneReason,
  type MemberChange,
  type MemberStatus,
  type NodeRecord,
  type PullRequest,
  type RecordSnapshot,
  type ServiceEntry,
} from './cluster-state.js';
export { hostPortOf, isValidUid, nodeKey, parseNodeKey, sameHostPort, type NodeId, type NodeKey } from './node-id.js';
export {
  RecordAssembler,
  msgpackSizeBound,
  splitRecord,
  type RecordAssemblerOptions,
  type RecordChunk,
} from './record-chunks.js';
export {
  MAX_REF_LENGTH,
  MAX_SERVICE_KEY_LENGTH,
  MAX_UNREACHABLE,
  readDelta,
  readDigest,
  readGoneMarks,
  readPullRequests,
  readRecordChunk,
  readRecordSnapshot,
} from './wire-format.js';
export {
  downingDecisions,
  isLive,
  liveMembers,
  members,
  nextOwnStatus,
  reachabilityChanges,
  reportsNeeded,
  unreachableSubjects,
  type Member,
  type OwnEvent,
  type StateView,
} from './membership.js';
export { DEFAULT_MONITORS_PER_NODE, MonitorRing, ringHash } from './monitor-ring.js';
export {
  DEFAULT_FANOUT,
  DEFAULT_FULL_PUSH_MAX_PEERS,
  gossipPeer,
  pickRandom,
  pushTargets,
  relayTargets,
  type DisseminationOptions,
  type RandomSource,
} from './gossip-targets.js';
export {
  DEFAULT_PHI_ACCRUAL,
  FailureDetectorRegistry,
  PhiAccrualDetector,
  phiOf,
  type PhiAccrualOptions,
} from './phi-accrual.js';
export {
  ChunkBudgetTooSmallError,
  ClusterConfigurationError,
  ClusterError,
  IncompatibleClusterVersionError,
  InvalidStatusTransitionError,
  MalformedClusterMessageError,
  NotAMemberError,
} from './errors.js';
