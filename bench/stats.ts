/** Latency distribution in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array (`q` in 0..1). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Summarises latencies (any order); an empty input gives NaNs and `count: 0`. */
export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

/** Rounds for display and JSON: 2 decimals below 10, 1 below 100, else whole numbers. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const digits = Math.abs(v) < 10 ? 100 : Math.abs(v) < 100 ? 10 : 1;
  return Math.round(v * digits) / digits;
}

/** A figure for display: `round`ed, `-` when not a finite number. */
export function fmt(v: number): string {
  return Number.isFinite(v) ? String(round(v)) : '-';
}

/** Ratios keep two significant digits, however small. */
export function fmtRatio(v: number | undefined): string {
  return v !== undefined && Number.isFinite(v) ? String(Number(v.toPrecision(2))) : '-';
}
