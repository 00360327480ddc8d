/**
 * The cluster's pure core: the replicated state, its wire shapes, the membership rules and
 * failure detection. No sockets, actors or timers here; the clustered system drives them.
 */
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
  ClusterError,
  IncompatibleClusterVersionError,
  InvalidStatusTransitionError,
  MalformedClusterMessageError,
} from './errors.js';
