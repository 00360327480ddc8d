/**
 * Reads the body of a Message frame by hand when the guard saw only what FrameWriter writes
 * by hand (nil, booleans, 32-bit integers, float64, strings, arrays, refs and registered class
 * instances), to the values msgpackr would decode, the envelope's fields straight into the
 * result, with no call into msgpackr and no extension dispatch. A non-ASCII string sends the frame
 * back to msgpackr, so every string decodes exactly as msgpackr decodes it.
 * The guard ran first: every length lies within the frame and nesting is bounded.
 */

export interface FrameReaderHost {
  /** Rebuilds a registered class instance from `[name, …]` (it must not keep the array: it is reused). */
  readClass(data: unknown[]): unknown;
  /** Revives a ref from its wire form (it must not keep the array: it is reused). */
  readRef(data: unknown[]): unknown;
}

/** The envelope `[to, uid, nodeUid, payload]`, as read. */
export interface ReadEnvelope {
  to: unknown;
  uid: unknown;
  nodeUid: unknown;
  payload: unknown;
}

/** Thrown when the frame holds what only msgpackr reads (a non-ASCII string): decode it there. */
export const NOT_SIMPLE = Symbol('not simple');

/** Data arrays up to this length, nested up to this depth, are reused rather than allocated. */
const SCRATCH_LENGTH = 16;
const SCRATCH_DEPTH = 8;

/** CODES[n]: an array of n character codes, reused for every short string of that length. */
const CODES: number[][] = Array.from({ length: 25 }, (_, n) => new Array<number>(n).fill(0));

export class FrameReader {
  private buffer!: Buffer;
  private view!: DataView;
  private position = 0;
  /** Arrays for the data of refs and class instances, by nesting level and length (small ones only). */
  private readonly scratch: unknown[][][] = [];
  private depth = 0;

  constructor(private readonly host: FrameReaderHost) {}

  /** Reads the body in `buffer[start, end)` into `out`; false when it is not a 4-element envelope. */
  readEnvelope(buffer: Buffer, start: number, out: ReadEnvelope): boolean {
    if (this.buffer !== buffer) {
      this.buffer = buffer;
      this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
    }
    this.position = start;
    this.depth = 0;
    if (buffer[this.position++] !== 0x94) return false;
    out.to = this.value();
    out.uid = this.value();
    out.nodeUid = this.value();
    out.payload = this.value();
    return true;
  }

  private value(): unknown {
    const buffer = this.buffer;
    const t = buffer[this.position++];
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0xa0 && t < 0xc0) return this.string(t - 0xa0);
    if (t >= 0x90 && t < 0xa0) return this.array(t - 0x90);
    const view = this.view;
    let n: number;
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        return buffer[this.position++];
      case 0xcd:
        n = view.getUint16(this.position);
        this.position += 2;
        return n;
      case 0xce:
        n = view.getUint32(this.position);
        this.position += 4;
        return n;
      case 0xd0:
        n = view.getInt8(this.position);
        this.position += 1;
        return n;
      case 0xd1:
        n = view.getInt16(this.position);
        this.position += 2;
        return n;
      case 0xd2:
        n = view.getInt32(this.position);
        this.position += 4;
        return n;
      case 0xcb:
        n = view.getFloat64(this.position);
        this.position += 8;
        return n;
      case 0xd9:
        return this.string(buffer[this.position++]);
      case 0xda:
        n = view.getUint16(this.position);
        this.position += 2;
        return this.string(n);
      case 0xdb:
        n = view.getUint32(this.position);
        this.position += 4;
        return this.string(n);
      case 0xdc:
        n = view.getUint16(this.position);
        this.position += 2;
        return this.array(n);
      case 0xdd:
        n = view.getUint32(this.position);
        this.position += 4;
        return this.array(n);
      case 0xd4: {
        const type = buffer[this.position];
        // The type, then a filler byte msgpackr skips, then the value.
        this.position += 2;
        if (type === 0x41) return this.extension(true);
        if (type === 0x43) return this.extension(false);
        break;
      }
    }
    // The guard lets nothing else through when it reports a simple value.
    throw NOT_SIMPLE;
  }

  /** A ref's or class instance's data, an array. */
  private extension(ref: boolean): unknown {
    const buffer = this.buffer;
    const t = buffer[this.position++];
    let length: number;
    if (t >= 0x90 && t < 0xa0) length = t - 0x90;
    else if (t === 0xdc) {
      length = this.view.getUint16(this.position);
      this.position += 2;
    } else {
      // Not an array (or a huge one): let msgpackr and the extension's own checks say why.
      throw NOT_SIMPLE;
    }
    const depth = this.depth;
    if (length > SCRATCH_LENGTH || depth >= SCRATCH_DEPTH) {
      const data = this.array(length);
      return ref ? this.host.readRef(data) : this.host.readClass(data);
    }
    const data = ((this.scratch[depth] ??= [])[length] ??= new Array<unknown>(length));
    this.depth = depth + 1;
    try {
      for (let i = 0; i < length; i++) data[i] = this.value();
      return ref ? this.host.readRef(data) : this.host.readClass(data);
    } finally {
      this.depth = depth;
      // Nothing of this message stays reachable from the reader.
      for (let i = 0; i < length; i++) data[i] = undefined;
    }
  }

  private array(length: number): unknown[] {
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = this.value();
    return out;
  }

  private string(length: number): string {
    const buffer = this.buffer;
    const start = this.position;
    const end = start + length;
    this.position = end;
    if (length > 24) {
      for (let i = start; i < end; i++) if (buffer[i] >= 0x80) throw NOT_SIMPLE;
      return buffer.toString('latin1', start, end);
    }
    // Short ones in JS, in one call with an array of their length: flat, and cheaper than a call into the native decoder.
    const codes = CODES[length];
    for (let i = 0; i < length; i++) {
      const c = buffer[start + i];
      if (c >= 0x80) throw NOT_SIMPLE;
      codes[i] = c;
    }
    return String.fromCharCode.apply(null, codes);
  }
}
