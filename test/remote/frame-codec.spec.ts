import fc from 'fast-check';
import { FrameTooLargeError, MalformedFrameError } from '../../lib/index.js';
import { FrameDecoder, encodeFrame } from '../../lib/remote/index.js';

function collect(maxFrameSize = 1024) {
  const frames: { kind: number; body: string }[] = [];
  const decoder = new FrameDecoder(maxFrameSize, (kind, buffer, start, end) => {
    frames.push({ kind, body: buffer.subarray(start, end).toString('hex') });
  });
  return { decoder, frames };
}

describe('FrameDecoder', () => {
  it('decodes frames however the stream is cut into chunks (property)', () => {
    const frame = fc.record({ kind: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (input, cuts) => {
        const stream = Buffer.concat(input.map(f => encodeFrame(f.kind, f.body)));
        const { decoder, frames } = collect();
        let offset = 0;
        for (let i = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length];
          decoder.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        expect(frames).toEqual(input.map(f => ({ kind: f.kind, body: Buffer.from(f.body).toString('hex') })));
        expect(decoder.pendingBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a frame above the limit as soon as its length arrives', () => {
    const { decoder, frames } = collect(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101);
    expect(() => decoder.push(header)).toThrow(FrameTooLargeError);
    expect(frames).toEqual([]);
    expect(() => collect(100).decoder.push(encodeFrame(1, Buffer.alloc(99)))).not.toThrow();
  });

  it('refuses a zero-length frame', () => {
    expect(() => collect().decoder.push(Buffer.from([0, 0, 0, 0]))).toThrow(MalformedFrameError);
  });

  it('counts the bytes of an incomplete frame, so a truncated stream is visible at close', () => {
    const { decoder } = collect();
    const frame = encodeFrame(16, Buffer.alloc(50));
    decoder.push(frame.subarray(0, 2));
    expect(decoder.pendingBytes).toBe(2);
    decoder.push(frame.subarray(2, 20));
    expect(decoder.pendingBytes).toBe(20);
    decoder.push(frame.subarray(20));
    expect(decoder.pendingBytes).toBe(0);
  });

  it('stops delivering once stopped from inside a handler', () => {
    const seen: number[] = [];
    const decoder: FrameDecoder = new FrameDecoder(1024, kind => {
      seen.push(kind);
      decoder.stop();
    });
    decoder.push(Buffer.concat([encodeFrame(1), encodeFrame(2), encodeFrame(3)]));
    expect(seen).toEqual([1]);
  });

  it('allocates for the bytes that arrived, not for the announced length', () => {
    const received: { kind: number; body: Buffer; owned: boolean }[] = [];
    const decoder = new FrameDecoder(4 * 1024 * 1024, (kind, buffer, start, end, owned) => {
      received.push({ kind, body: Buffer.from(buffer.subarray(start, end)), owned });
    });
    const body = Buffer.alloc(4 * 1024 * 1024 - 1);
    for (let i = 0; i < body.length; i += 4093) body[i] = i % 251;
    const frame = encodeFrame(16, body);
    // A 4 MiB frame announced, 10 bytes of it sent: the node holds kilobytes, not megabytes.
    decoder.push(frame.subarray(0, 4 + 10));
    expect(decoder.bufferedCapacity).toBeLessThanOrEqual(16 * 1024);
    // The rest in 64 KiB chunks: the buffer grows with it and the frame arrives intact.
    let offset = 14;
    while (offset < frame.length) {
      decoder.push(frame.subarray(offset, offset + 64 * 1024));
      offset += 64 * 1024;
      if (offset < frame.length) expect(decoder.bufferedCapacity).toBeLessThanOrEqual(2 * (offset - 4));
    }
    expect(received).toHaveLength(1);
    expect(received[0].kind).toBe(16);
    expect(received[0].owned).toBe(true);
    expect(received[0].body.equals(body)).toBe(true);
    expect(decoder.bufferedCapacity).toBe(0);
    expect(decoder.framesDecoded).toBe(1);
  });

  it('decodes grown bodies however the stream is cut (property)', () => {
    const frame = fc.record({ kind: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ minLength: 16 * 1024, maxLength: 70 * 1024 }) });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 3 }), fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1 }), (input, cuts) => {
        const stream = Buffer.concat(input.map(f => encodeFrame(f.kind, f.body)));
        const frames: { kind: number; body: Buffer }[] = [];
        const decoder = new FrameDecoder(1024 * 1024, (kind, buffer, start, end) => frames.push({ kind, body: Buffer.from(buffer.subarray(start, end)) }));
        for (let i = 0, offset = 0; offset < stream.length; i++) {
          const size = cuts[i % cuts.length];
          decoder.push(stream.subarray(offset, offset + size));
          offset += size;
        }
        expect(frames.map(f => f.kind)).toEqual(input.map(f => f.kind));
        frames.forEach((f, i) => expect(f.body.equals(Buffer.from(input[i].body))).toBe(true));
      }),
      { numRuns: 50 },
    );
  });
});
