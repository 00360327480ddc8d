import { dnsHostResolver } from '../../lib/remote/host-resolver.js';

describe('dnsHostResolver', () => {
  it('bounds DNS work: two lookups at a time, 64 waiting, the rest refused at once', async () => {
    const started: string[] = [];
    const answers: ((error: Error | null, address: string) => void)[] = [];
    const resolve = dnsHostResolver(
      () => 0,
      (host, callback) => {
        started.push(host);
        answers.push(callback);
      },
    );
    const results = Array.from({ length: 100 }, (_, i) => resolve(`made-up-${i}.invalid`, () => true).then(a => a, (e: Error) => e.message));
    expect(started).toEqual(['made-up-0.invalid', 'made-up-1.invalid']);
    const refused = await Promise.all(results.slice(66));
    expect(refused.every(r => r === '64 host names are already waiting for DNS')).toBe(true);
    // Answering lets waiting ones start, in order, two at a time.
    answers[0](null, '10.0.0.1');
    answers[1](new Error('ENOTFOUND'), '');
    expect(await results[0]).toBe('10.0.0.1');
    expect(await results[1]).toBe('ENOTFOUND');
    expect(started).toEqual(['made-up-0.invalid', 'made-up-1.invalid', 'made-up-2.invalid', 'made-up-3.invalid']);
    for (let i = 2; i < 66; i++) answers[i](new Error('ENOTFOUND'), '');
    expect(started).toHaveLength(66);
  });

  it('skips lookups nobody needs any more, and IP literals', async () => {
    const started: string[] = [];
    const answers: ((error: Error | null, address: string) => void)[] = [];
    const resolve = dnsHostResolver(
      () => 0,
      (host, callback) => {
        started.push(host);
        answers.push(callback);
      },
    );
    expect(await resolve('127.0.0.1', () => true)).toBe('127.0.0.1');
    expect(await resolve('::1', () => true)).toBe('::1');
    void resolve('a.invalid', () => true).catch(() => {});
    void resolve('b.invalid', () => true).catch(() => {});
    const dropped = resolve('c.invalid', () => false);
    answers[0](new Error('ENOTFOUND'), '');
    await expect(dropped).rejects.toThrow('lookup no longer needed');
    expect(started).toEqual(['a.invalid', 'b.invalid']);
  });

  it('fails a name that just failed again without a lookup, for 5 s', async () => {
    let now = 0;
    let lookups = 0;
    const resolve = dnsHostResolver(
      () => now,
      (_host, callback) => {
        lookups++;
        callback(new Error('ENOTFOUND'), '');
      },
    );
    await expect(resolve('gone.invalid', () => true)).rejects.toThrow('ENOTFOUND');
    now = 4000;
    await expect(resolve('gone.invalid', () => true)).rejects.toThrow('ENOTFOUND');
    expect(lookups).toBe(1);
    now = 6000;
    await expect(resolve('gone.invalid', () => true)).rejects.toThrow('ENOTFOUND');
    expect(lookups).toBe(2);
  });
});
