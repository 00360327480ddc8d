/**
 * Unguessable 48-bit uids (a safe integer on the wire, never 0) for refs that answer
 * whoever names them, such as the temporary ref of an `ask`: a peer that could predict
 * one could resolve someone else's ask. Random bytes are drawn in batches, since one
 * `randomBytes` call costs more than the ask itself.
 */
import { randomBytes } from 'node:crypto';

const BATCH_UIDS = 512;
const UID_BYTES = 6;
let pool = Buffer.alloc(0);
let offset = 0;

export function randomUid48(): number {
  if (offset === pool.length) {
    pool = randomBytes(BATCH_UIDS * UID_BYTES);
    offset = 0;
  }
  const uid = pool.readUIntBE(offset, UID_BYTES);
  offset += UID_BYTES;
  return uid === 0 ? 1 : uid;
}
