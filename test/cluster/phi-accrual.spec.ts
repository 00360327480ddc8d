import { DEFAULT_PHI_ACCRUAL, FailureDetectorRegistry, PhiAccrualDetector, phiOf } from '../../lib/cluster/index.js';
import { ManualClock } from './support/states.js';

/** Feeds heartbeats every `intervalMs` (plus a deterministic jitter) for `durationMs`; returns the time reached. */
function steady(detector: PhiAccrualDetector, startMs: number, durationMs: number, intervalMs: number, jitterMs = 0): number {
  let t = startMs;
  let i = 0;
  while (t < startMs + durationMs) {
    detector.heartbeat(t);
    t += intervalMs + (jitterMs ? ((i++ * 37) % (2 * jitterMs + 1)) - jitterMs : 0);
  }
  return t;
}

/** The first time after the last heartbeat, scanning in 1 ms steps, at which the peer is suspected. */
function suspectedAfter(detector: PhiAccrualDetector, limitMs = 10_000): number {
  const last = detector.lastHeartbeatMs!;
  for (let dt = 0; dt <= limitMs; dt++) if (!detector.isAvailable(last + dt)) return dt;
  return Infinity;
}

/** Whether the peer stayed available, checked every 10 ms, from `fromMs` to `toMs`. */
function availableThroughout(detector: PhiAccrualDetector, fromMs: number, toMs: number): boolean {
  for (let t = fromMs; t <= toMs; t += 10) if (!detector.isAvailable(t)) return false;
  return true;
}

describe('Phi-accrual failure detector', () => {
  it.each([200, 250])('does not suspect a peer (heartbeats every %i ms) whose event loop stalls for 500 ms', intervalMs => {
    const detector = new PhiAccrualDetector();
    const t = steady(detector, 0, 60_000, intervalMs, 20);
    // The stall begins just before a heartbeat was due: that interval becomes interval + 500,
    // and the observer checks with 100 ms of its own lateness on top.
    const resumed = t + intervalMs + 500;
    expect(availableThroughout(detector, t, resumed + 100)).toBe(true);
    detector.heartbeat(resumed);
    const after = steady(detector, resumed + intervalMs, 10_000, intervalMs, 20);
    expect(availableThroughout(detector, resumed, after)).toBe(true);
  });

  it('does not suspect a peer that stalls for 500 ms every few seconds for minutes', () => {
    const detector = new PhiAccrualDetector();
    let t = 0;
    for (let round = 0; round < 40; round++) {
      t = steady(detector, t, 5_000, 200, 20);
      expect(availableThroughout(detector, t, t + 800)).toBe(true);
      t += 700;
    }
  });

  it('suspects a silent peer within 1 to 1.5 s of its last heartbeat', () => {
    for (const intervalMs of [200, 250]) {
      const detector = new PhiAccrualDetector();
      steady(detector, 0, 60_000, intervalMs, 20);
      const after = suspectedAfter(detector);
      expect(after).toBeGreaterThanOrEqual(1000);
      expect(after).toBeLessThanOrEqual(1500);
    }
  });

  it('suspects a peer that never answered, from the moment monitoring began', () => {
    const detector = new PhiAccrualDetector();
    expect(detector.phi(1e9)).toBe(0);
    detector.heartbeat(0);
    expect(suspectedAfter(detector)).toBeLessThanOrEqual(1500);
  });

  it('is more patient with a peer whose heartbeats jitter more', () => {
    const regular = new PhiAccrualDetector();
    const noisy = new PhiAccrualDetector();
    steady(regular, 0, 60_000, 200, 10);
    steady(noisy, 0, 60_000, 200, 180);
    expect(noisy.stdDeviationMs).toBeGreaterThan(regular.stdDeviationMs);
    expect(suspectedAfter(noisy)).toBeGreaterThan(suspectedAfter(regular));
  });

  it('remembers only the last maxSampleSize intervals', () => {
    const detector = new PhiAccrualDetector({ maxSampleSize: 50 });
    steady(detector, 0, 100 * 1000, 1000);
    expect(detector.meanIntervalMs).toBeCloseTo(1000, 5);
    steady(detector, 200_000, 51 * 200, 200);
    expect(detector.sampleCount).toBe(50);
    expect(detector.meanIntervalMs).toBeCloseTo(200, 5);
  });

  it('grows phi with the silence, and scores a heartbeat on time near zero', () => {
    let previous = -1;
    for (let t = 0; t <= 3000; t += 50) {
      const phi = phiOf(t, 800, 100);
      expect(phi).toBeGreaterThanOrEqual(previous);
      previous = phi;
    }
    expect(phiOf(700, 800, 100)).toBeLessThan(0.1);
    expect(phiOf(1323, 800, 100)).toBeGreaterThanOrEqual(DEFAULT_PHI_ACCRUAL.thresholdPhi);
    expect(Number.isFinite(phiOf(1e7, 800, 100))).toBe(true);
  });

  it('refuses options that cannot describe a distribution', () => {
    expect(() => new PhiAccrualDetector({ minStdDeviationMs: 0 })).toThrow(RangeError);
    expect(() => new PhiAccrualDetector({ maxSampleSize: 1 })).toThrow(RangeError);
  });

  describe('FailureDetectorRegistry', () => {
    it('scores each monitored peer on the injected clock and names the suspects', () => {
      const clock = new ManualClock(0);
      const registry = new FailureDetectorRegistry<string>(clock.read);
      expect(registry.isAvailable('a')).toBe(true);
      for (let i = 0; i < 50; i++) {
        registry.heartbeat('a');
        registry.heartbeat('b');
        clock.advance(200);
      }
      registry.heartbeat('a');
      for (let i = 0; i < 8; i++) {
        clock.advance(200);
        registry.heartbeat('a');
      }
      expect(registry.suspects()).toEqual(['b']);
      expect(registry.isAvailable('a')).toBe(true);
      registry.retain(['a']);
      expect(registry.isMonitoring('b')).toBe(false);
      expect(registry.suspects()).toEqual([]);
      registry.remove('a');
      expect(registry.phi('a')).toBe(0);
    });
  });
});
