import fc from 'fast-check';
import { FrameDecoder, FrameTooLargeError, MalformedFrameError, encodeFrame } from '../../lib/index.js';

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
});
