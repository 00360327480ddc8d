/**
 * What this process spent over a window of a benchmark: CPU time (user + system, from
 * `process.cpuUsage`, so it counts the kernel's share of socket I/O and stays meaningful on a
 * shared machine where throughput does not), garbage-collector pauses and JavaScript-heap
 * allocation, the last two from V8's own GC profiler (`v8.GCProfiler`): every collection in the window with its duration
 * (the main-thread pause, prologue to epilogue) and the heap's used size before and after it.
 *
 * Allocated bytes = used heap at the end - used heap at the start + what each collection freed.
 * That counts objects allocated on the JS heap (promises, closures, strings, arrays, Buffer
 * and typed-array objects themselves) and not their off-heap backing stores (the bytes of a
 * Buffer), which are external memory. Objects that are promoted and still live at the end count
 * once, as they should.
 */
import v8 from 'node:v8';

export interface WindowCost {
  /** CPU time of this process (all threads), ms. */
  cpuMs: number;
  /** Collections that ran in the window (scavenges and mark-compacts). */
  count: number;
  /** Sum of their pauses, ms. */
  totalMs: number;
  /** Longest pause, ms. */
  maxMs: number;
  /** Bytes allocated on the JS heap in the window. */
  allocatedBytes: number;
}

export class ProcessMeter {
  private profiler?: v8.GCProfiler;
  private usedAtStart = 0;
  private cpuAtStart?: NodeJS.CpuUsage;

  start(): void {
    this.profiler = new v8.GCProfiler();
    this.profiler.start();
    this.usedAtStart = v8.getHeapStatistics().used_heap_size;
    this.cpuAtStart = process.cpuUsage();
  }

  stop(): WindowCost {
    const cpu = process.cpuUsage(this.cpuAtStart);
    const usedAtEnd = v8.getHeapStatistics().used_heap_size;
    const result = this.profiler?.stop();
    this.profiler = undefined;
    let count = 0;
    let totalUs = 0;
    let maxUs = 0;
    let freed = 0;
    for (const gc of result?.statistics ?? []) {
      count++;
      totalUs += gc.cost;
      maxUs = Math.max(maxUs, gc.cost);
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    }
    return { cpuMs: (cpu.user + cpu.system) / 1000, count, totalMs: totalUs / 1000, maxMs: maxUs / 1000, allocatedBytes: usedAtEnd - this.usedAtStart + freed };
  }
}
