/**
 * Run by helpers.spec.ts in a child process of its own, started with V8's
 * background threads off (`--single-threaded`), so that the process's CPU
 * time is this thread's: prints what `interleaved` measures for a call that
 * burns 2 ms of CPU, one that burns 6 ms and one that sleeps 8 ms, as JSON.
 */
import { interleaved } from '../../bench/timing.ts';

/** Spins until this process has used `ms` more milliseconds of CPU time (read from Node itself, not from timing.ts). */
function busy(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const { user, system } = process.cpuUsage(start);
    if ((user + system) / 1000 >= ms) return;
  }
}

const order: string[] = [];
const measured = await interleaved([
  () => { order.push('a'); busy(2); },
  () => { order.push('b'); busy(6); },
  () => new Promise<void>((resolve) => { order.push('c'); setTimeout(resolve, 8); }),
], { runs: 5, warmup: 1, runMs: 0 });
console.log(JSON.stringify({ order, measured }));
