/**
 * Proof that a member's process is gone: once all its connections closed, one TCP connect to
 * its port. The operating system refuses it when nothing listens there any more, which no
 * live member allows (its listener lives as long as its system), so a refusal downs the
 * member at once instead of after the failure detector's timeout. Anything else (answered,
 * timed out, unreachable network) proves nothing and leaves the decision to the detector.
 */
import type { Transport } from '../remote/index.js';

export type ProbeResult = 'refused' | 'answered' | 'unknown';

export async function probeListener(transport: Transport, host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  try {
    const socket = await transport.connect(host, port, timeoutMs);
    // Closed before a byte is sent: the peer counts it as a port probe, not as a failure.
    socket.destroy();
    return 'answered';
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : '';
    return code === 'ECONNREFUSED' || /\bECONNREFUSED\b/.test(message) ? 'refused' : 'unknown';
  }
}
