/**
 * The benchmark is not a test (timings never gate `npm test`), but it must keep running: one tiny
 * run end to end, checking the report's shape and the figures that are not timings (no update lost
 * or duplicated, with and without injected faults), and what holds of the shard-scaling figure on
 * any machine (the injected latency is paid; more shards add less than querying them one by one).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const TARGETS = [
  'api_bundle_bytes',
  'api_cold_start_ms',
  'api_warm_post_track_per_s',
  'api_warm_get_status_per_s',
  'api_warm_get_shipments_per_s',
  'consumer_bundle_bytes',
  'consumer_cold_start_ms',
  'consumer_warm_batches_per_s',
  'shipments_8_shards_latency_ms',
  'projection_lag_p99_ms',
  'local_api_non_2xx',
  'local_api_lost_updates',
  'local_api_duplicated_updates',
  'faults_non_2xx',
  'faults_202_minus_parked',
  'faults_missing_after_replay',
  'faults_duplicated_updates',
];

interface Report {
  targets: { name: string; value: number; baseline: number; ratio: number; limit: string; pass: boolean }[];
  sizes: Record<'api' | 'consumer', Record<string, { raw: number; gzip: number }>>;
  cold_start_ms: Record<'api' | 'consumer', Record<string, number>>;
  warm_per_s: Record<'api' | 'consumer', Record<string, Record<string, number>>>;
  shipments_shard_scaling: {
    query_latency_ms: number;
    results: { shards: number; p50Ms: number; floor: { p50Ms: number } }[];
  };
  local_api: {
    post: { serverOk200: number };
    itemsStored: number;
    idempotency: { keyedOk200: number; unkeyedOk200: number; lost: number; duplicated: number };
    lag: { samples: number; p99: number };
  };
  faulted_load: { answered200: number; answered202: number; parked: number; missingAfterReplay: number };
}

describe('npm run bench (smoke, --quick)', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-')), 'bench.json');
  let report: Report;
  let stdout = '';

  beforeAll(async () => {
    const root = path.resolve(__dirname, '..', '..');
    // Exit code 1 means "a target was missed": still a complete run. Anything else is a crash.
    const result = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out],
      { cwd: root, timeout: 150_000 },
    ).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      if (error.code !== 1) throw new Error(`bench crashed (${error.code}): ${error.stderr}`);
      return { stdout: error.stdout ?? '' };
    });
    stdout = result.stdout;
    report = JSON.parse(fs.readFileSync(out, 'utf8'));
  }, 180_000);

  it('reports one {name, value, baseline, ratio, limit, pass} entry per target', () => {
    expect(report.targets.map((t) => t.name)).toEqual(TARGETS);
    for (const target of report.targets) {
      expect(Object.keys(target).sort()).toEqual(['baseline', 'limit', 'name', 'pass', 'ratio', 'value']);
      expect(Number.isFinite(target.value) && Number.isFinite(target.baseline)).toBe(true);
    }
  });

  it('measures each function beside its own floor (and the API function beside minimal and hello)', () => {
    expect(Object.keys(report.cold_start_ms.api).sort()).toEqual(['floor', 'hello', 'minimal', 'ours']);
    expect(Object.keys(report.cold_start_ms.consumer).sort()).toEqual(['floor', 'ours']);
    for (const fn of ['api', 'consumer'] as const) {
      for (const ms of Object.values(report.cold_start_ms[fn])) expect(ms).toBeGreaterThan(0);
    }
    expect(Object.keys(report.warm_per_s.api.ours).sort()).toEqual(['post', 'shipments', 'status']);
    expect(Object.keys(report.warm_per_s.consumer.ours)).toEqual(['batch']);
  });

  it('builds each function with only what it imports: the floors carry the libraries, ours a little more', () => {
    const { api, consumer } = report.sizes;
    expect(api.floor.raw).toBeGreaterThan(api.minimal.raw);
    expect(api.ours.raw).toBeGreaterThan(api.floor.raw);
    expect(consumer.ours.raw).toBeGreaterThan(consumer.floor.raw);
    // The consumer carries neither the validators nor the idempotency library: smaller than the API's.
    expect(consumer.ours.raw).toBeLessThan(api.ours.raw);
  });

  it('loses and duplicates no update under load, half of the POSTs with an Idempotency-Key', () => {
    const { idempotency, post } = report.local_api;
    expect(post.serverOk200).toBeGreaterThan(0);
    expect(idempotency.keyedOk200).toBeGreaterThan(0);
    expect(idempotency.unkeyedOk200).toBeGreaterThan(0);
    expect([idempotency.lost, idempotency.duplicated]).toEqual([0, 0]);
    expect(report.local_api.lag.samples).toBeGreaterThan(0);
  });

  it('with 20 % of writes refused: every answered update is in the table after the replay; 202s = parked', () => {
    const f = report.faulted_load;
    expect(f.answered200 + f.answered202).toBeGreaterThan(0);
    expect(f.missingAfterReplay).toBe(0);
    expect(f.answered202).toBe(f.parked);
  });

  it('lists the shards in parallel: the injected latency is paid, and more shards add less than a serial listing', () => {
    const { query_latency_ms: latency, results } = report.shipments_shard_scaling;
    expect(results.map((r) => r.shards)).toEqual([1, 8, 32]);
    // Ours and, beside it, the floor (the same shard queries through the same libraries).
    for (const figures of [results.map((r) => r.p50Ms), results.map((r) => r.floor.p50Ms)]) {
      for (const [i, p50] of figures.entries()) {
        expect(p50).toBeGreaterThanOrEqual(latency);
        if (i > 0) expect(p50).toBeLessThan(figures[0] + (results[i].shards - 1) * latency);
      }
    }
  });

  it('prints the tables', () => {
    expect(stdout).toMatch(/target\s+ours\s+baseline\s+ratio\s+limit\s+result/);
    expect(stdout).toMatch(/figure\s+ours\s+floor\s+ours\/floor\s+minimal\s+floor\/minimal/);
    for (const name of TARGETS) expect(stdout).toContain(name);
  });
});
