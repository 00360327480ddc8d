/**
 * Remoting: actor refs that work across processes over TCP. A RemoteActorSystem listens on
 * a port; refs inside messages travel as addresses and arrive as working refs; messages are
 * MessagePack in length-prefixed frames after an authenticated, versioned handshake.
 */
export { RemoteActorSystem, type BoundNode } from './remote-actor-system.js';
export type { RemoteActorSystemOptions } from './remote-settings.js';
export { NodeIdentity, newIncarnationUid, parseNodeAddress } from './node-identity.js';
export { RemoteActorRef } from './remote-actor-ref.js';
export {
  Serializable,
  Serialization,
  UnknownClassPayload,
  registerGlobally as registerSerializable,
  type ClassCodec,
  type ClassOf,
  type SerializableOptions,
} from './serialization.js';
export { PeerConnected, PeerDisconnected, HandshakeFailed } from './remote-events.js';
export type { RemoteStats, PeerStats, InboundHealth } from './remoting.js';
export type { AdmissionStats } from './admission.js';
export type { ConnectionDirection } from './connection.js';
export { TcpTransport, type Transport, type TransportListener, type TcpTransportOptions } from './transport.js';
export { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, FrameKind, encodeFrame } from './frame-codec.js';
export { PROTOCOL_VERSION } from './handshake.js';
export {
  RemoteError,
  FrameTooLargeError,
  FrameTimeoutError,
  MalformedFrameError,
  HandshakeRejectedError,
  HandshakeTimeoutError,
  SerializationError,
  UnregisteredClassError,
  SerializableNameConflictError,
  RemoteConfigurationError,
  MessageTooLargeError,
  OutboundQueueFullError,
  PeerUnreachableError,
  AssociationEvictedError,
  PeerDisconnectedError,
} from './errors.js';
