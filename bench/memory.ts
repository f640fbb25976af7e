import { readFileSync } from 'node:fs';

/** Resident set size of a process in MB (`VmRSS` of `/proc/<pid>/status`), or NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used so far, in ms (`/proc/<pid>/stat`), or NaN once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux Node supports. */
const CLOCK_TICKS = 100;

/** CPU time all processes of the machine have used so far (busy time of `/proc/stat`), in ms. */
export function machineBusyMs(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
    const busy = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - cpu[3]! - cpu[4]!;
    return (busy * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/**
 * Measures how many cores each process used from its construction to `stop()`, and how many the rest
 * of the machine used meanwhile (`other`): anything else running skews the figures.
 */
export class CpuMeter {
  private readonly before: number[];
  private readonly busyBefore = machineBusyMs();
  private readonly at = performance.now();

  constructor(private readonly pids: Record<string, number>) {
    this.before = Object.values(pids).map(cpuMs);
  }

  /** Cores used on average per process (1 = one core busy all the time), plus `other`. */
  stop(): Record<string, number> {
    const wall = performance.now() - this.at;
    const out: Record<string, number> = {};
    let ours = 0;
    Object.entries(this.pids).forEach(([name, pid], i) => {
      out[name] = (cpuMs(pid) - this.before[i]!) / wall;
      if (Number.isFinite(out[name])) ours += out[name]; // a process gone meanwhile: NaN
    });
    out.other = Math.max(0, (machineBusyMs() - this.busyBefore) / wall - ours);
    return out;
  }
}

/** Samples a process's RSS every `everyMs` (100 ms by default) and keeps the peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakMb = NaN;
  private samples = 0;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  /** Stops sampling; returns the peak (MB) and the number of samples. */
  stop(): { peakMb: number; samples: number } {
    clearInterval(this.timer);
    this.sample();
    return { peakMb: this.peakMb, samples: this.samples };
  }

  private sample(): void {
    const v = rssMb(this.pid);
    if (Number.isNaN(v)) return;
    this.samples++;
    if (!(v <= this.peakMb)) this.peakMb = v;
  }
}

/** The idle RSS: waits `settleMs`, then the median of samples taken every 100 ms for `windowMs`. */
export async function idleRssMb(pid: number, settleMs: number, windowMs = 1000): Promise<number> {
  await new Promise((r) => setTimeout(r, settleMs));
  const values: number[] = [];
  for (let t = 0; t < windowMs; t += 100) {
    values.push(rssMb(pid));
    await new Promise((r) => setTimeout(r, 100));
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? NaN;
}

/**
 * Waits until the rest of the machine (everything but `pids`) uses less than `maxCores`, measured over
 * 1 s windows, for at most `maxWaitMs`. Returns how long it waited and the last reading.
 */
export async function waitForQuietMachine(
  pids: number[],
  maxCores: number,
  maxWaitMs: number,
): Promise<{ waitedMs: number; otherCores: number }> {
  const start = Date.now();
  for (;;) {
    const meter = new CpuMeter(Object.fromEntries(pids.map((p) => [String(p), p])));
    await new Promise((r) => setTimeout(r, 1000));
    const other = meter.stop().other ?? 0;
    const waitedMs = Date.now() - start;
    if (other < maxCores || waitedMs >= maxWaitMs) return { waitedMs, otherCores: other };
  }
}
