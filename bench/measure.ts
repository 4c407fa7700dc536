/** Timing helpers for `npm run bench`: medians over repeated runs, printed as ratios. */

export interface BenchDatabase {
  /** The owner role's connection string (what the server uses). */
  ownerUrl: string;
  /** A superuser's connection string to the server (the embedded one's); absent with DATABASE_URL. */
  adminUrl?: string;
}

export interface Result {
  name: string;
  value: number;
  unit: string;
  /** The value the ratio is taken against (the row that is 1.00). */
  baseline?: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Calls fn n times (with `concurrency` in flight) per run, after a warm-up; the median rate of `runs` runs. */
export async function opsPerSecond(n: number, fn: () => Promise<unknown>, concurrency = 1, runs = 5): Promise<number> {
  const once = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        await fn();
      }
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return count / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  await once(Math.max(50, Math.floor(n / 10)));
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) rates.push(await once(n));
  return median(rates);
}

export interface Variant {
  name: string;
  fn: () => Promise<unknown>;
  /** Calls in flight at once (default 1: sequential). */
  concurrency?: number;
}

/**
 * Rates of several variants measured in interleaved rounds (the order rotates each round),
 * so that drift in machine load hits them all alike; the median round of each. The first
 * variant is the baseline of the ratios.
 */
export async function compareRates(variants: Variant[], n: number, rounds = 7): Promise<Result[]> {
  for (const v of variants) await opsPerSecond(Math.max(50, Math.floor(n / 5)), v.fn, v.concurrency ?? 1, 1);
  const medians = await interleavedMedians(variants.length, rounds, (i) => opsPerSecond(n, variants[i]!.fn, variants[i]!.concurrency ?? 1, 1));
  return variants.map((v, i) => ({ name: v.name, value: medians[i]!, unit: 'ops/s', baseline: medians[0]! }));
}

/**
 * `measure(i)` for each of `count` variants in `rounds` interleaved rounds, the order rotating
 * each round so that drift in machine load hits them all alike; the median of each.
 */
export async function interleavedMedians(count: number, rounds: number, measure: (i: number) => Promise<number>): Promise<number[]> {
  const rates = Array.from({ length: count }, () => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < count; k++) {
      const i = (k + round) % count;
      rates[i]!.push(await measure(i));
    }
  }
  return rates.map(median);
}

/** Median duration in milliseconds of `runs` calls, after one warm-up call. */
export async function medianMs(fn: () => Promise<unknown>, runs = 7): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

export function printTable(title: string, results: Result[]): void {
  console.log(`\n${title}`);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const ratio = r.baseline ? (r.unit === 'ms' ? r.baseline / r.value : r.value / r.baseline).toFixed(2) : '';
    const value = r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(2);
    console.log(`  ${r.name.padEnd(width)}  ${value.padStart(12)} ${r.unit.padEnd(6)} ${ratio ? `x${ratio}` : ''}`);
  }
}
