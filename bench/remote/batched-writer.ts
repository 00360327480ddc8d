/**
 * The plain-socket baseline batches writes the way remoting does: frames queued during one
 * event-loop turn leave in a single `write`.
 */
import type { Socket } from 'node:net';

export function batchedWriter(socket: Socket): (frame: Buffer) => void {
  let pending: Buffer[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    socket.write(pending.length === 1 ? pending[0] : Buffer.concat(pending));
    pending = [];
  };
  return frame => {
    pending.push(frame);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
