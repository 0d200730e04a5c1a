/**
 * `npm run bench [-- --out FILE] [--quick]`: each function against its own floor, side by side in
 * one run, and the figures of the paths that scale. Prints tables and writes JSON whose `targets`
 * hold {name, value, baseline, ratio, limit, pass}. Every figure is a median over rounds in which
 * ours and its baseline run in turn; a ratio is the median of the rounds' own ratios.
 *
 * Baselines (bench/baselines/, built with the same esbuild options): for the API function, `hello`
 * (a constant), `minimal` (only the DynamoDB calls of its job) and `floor` (minimal + every library
 * the function bundles, configured as documented, with the SSM reads); for the stream consumer,
 * `consumer-floor` (its libraries, one state write per record and one PutEvents per batch). The
 * targets are against the floors: what our own code costs on top of the libraries we must use;
 * minimal and hello split the rest (informational).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { buildSync } from 'esbuild';
import { buildBundle, PROJECT_ROOT } from '../lib/bundle';
import { FUNCTIONS } from '../lib/functions';
import { startBenchFunctions } from './function-env';
import { measureColdStart, measureWarm } from './processes';
import { measureFaultedLoad, type FaultedLoad } from './faults-load';
import { measureLocalApi, type LoadResult } from './load';
import { OPERATIONS } from './requests';
import { measureShardScaling, QUERY_LATENCY_MS, type ShardScaling } from './shards';
import { runCli, type CliSpec } from '../scripts/cli';

interface Target {
  name: string;
  value: number;
  baseline: number;
  ratio: number;
  limit: string;
  pass: boolean;
}

interface Options {
  out: string;
  /** Cold-start rounds of each function and its floor (the targets). */
  coldRuns: number;
  /** Cold-start rounds of `minimal` and `hello` (information only). */
  infoColdRuns: number;
  warmMs: number;
  warmRounds: number;
  loadSeconds: number;
  shardRequests: number;
  shardRounds: number;
}

const BENCH_CLI = {
  command: 'bench',
  usage: `usage: npm run bench -- [--out FILE] [--quick]

  --out FILE   write the JSON report to FILE (default: bench-results.json)
  --quick      a smoke run: 3 cold starts (2 of minimal and hello), 1 x 200 ms warm, 1 s per local API phase
  -h, --help   this text

Exit code 0 when every target is met, 1 when one is missed, 2 on a bad argument or a crash.`,
  options: { out: { type: 'string', default: 'bench-results.json' }, quick: { type: 'boolean' } },
} as const satisfies CliSpec;

/** --help or a bad argument exits here (0 or 2, scripts/cli.ts). */
function parseArgs(argv: string[]): Options {
  return runCli(BENCH_CLI, argv, (values) => ({
    out: values.out,
    ...(values.quick
      ? { coldRuns: 3, infoColdRuns: 2, warmMs: 200, warmRounds: 1, loadSeconds: 1, shardRequests: 15, shardRounds: 1 }
      : {
          coldRuns: 81,
          infoColdRuns: 9,
          warmMs: 500,
          warmRounds: 15,
          loadSeconds: 10,
          shardRequests: 30,
          shardRounds: 12,
        }),
  }));
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A target on value / baseline: at most `limit.max` ("lower is better") or at least `limit.min`. */
function target(name: string, value: number, baseline: number, limit: { max: number } | { min: number }): Target {
  const ratio = value / baseline;
  return {
    name,
    value: round(value),
    baseline: round(baseline),
    ratio: round(ratio, 3),
    limit: 'max' in limit ? `<= ${limit.max}x` : `>= ${limit.min}x`,
    pass: 'max' in limit ? ratio <= limit.max : ratio >= limit.min,
  };
}

/**
 * A target on samples taken in rounds, ours and its baseline side by side in each: value and
 * baseline are the medians, the ratio is the median of the rounds' own ratios (a round's ours over
 * the same round's baseline), so that the machine's drift between rounds cancels out.
 */
function paired(name: string, ours: number[], baseline: number[], limit: { max: number } | { min: number }): Target {
  const ratio = median(ours.map((value, i) => value / baseline[i]));
  return {
    ...target(name, median(ours), median(baseline), limit),
    ratio: round(ratio, 3),
    pass: 'max' in limit ? ratio <= limit.max : ratio >= limit.min,
  };
}

/** An absolute bound (a latency, a count). */
function atMost(name: string, value: number, max: number): Target {
  return {
    name,
    value: round(value),
    baseline: max,
    ratio: round(value / max, 3),
    limit: `<= ${max}`,
    pass: value <= max,
  };
}

function exactly(name: string, value: number, expected: number): Target {
  return {
    name,
    value,
    baseline: expected,
    ratio: value === expected ? 1 : 0,
    limit: `== ${expected}`,
    pass: value === expected,
  };
}

/** From a POST's answer to GET /shipments listing it, under the 32-connection load. */
const PROJECTION_LAG_P99_MAX_MS = 2000;

/** The limits against each function's own floor. */
const LIMITS = { bundle: { max: 1.08 }, cold: { max: 1.03 }, warm: { min: 0.9 } } as const;

type Sizes = Record<string, { raw: number; gzip: number }>;

/** Builds each function's bundle and its baselines with the one esbuild configuration, plus the child runner. */
function buildAll(dir: string) {
  const baselines = path.join(__dirname, 'baselines');
  const entries = {
    api: {
      ours: FUNCTIONS.api.entry,
      floor: path.join(baselines, 'floor.ts'),
      minimal: path.join(baselines, 'minimal.ts'),
      hello: path.join(baselines, 'hello.ts'),
    },
    consumer: { ours: FUNCTIONS.consumer.entry, floor: path.join(baselines, 'consumer-floor.ts') },
  };
  const build = <K extends string>(fn: string, files: Record<K, string>) => {
    const bundles = {} as Record<K, string>;
    const sizes: Sizes = {};
    for (const [name, entry] of Object.entries(files) as [K, string][]) {
      const { code } = buildBundle(entry);
      const file = path.join(dir, `${fn}-${name}.mjs`);
      fs.writeFileSync(file, code);
      bundles[name] = file;
      sizes[name] = { raw: Buffer.byteLength(code), gzip: gzipSync(code).length };
    }
    return { bundles, sizes };
  };
  const runner = path.join(dir, 'invoke.mjs');
  buildSync({
    entryPoints: [path.join(__dirname, 'invoke.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: runner,
    logLevel: 'silent',
  });
  return { api: build('api', entries.api), consumer: build('consumer', entries.consumer), runner };
}

const medians = (samples: Record<string, number[]>) =>
  Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bench-'));
  const built = buildAll(dir);
  const { runner } = built;

  // The project's one local AWS, with nothing injected: what the bundles pay for is the engine's work.
  const fns = await startBenchFunctions(dir);
  let apiCold, apiWarm, consumerCold, consumerWarm;
  try {
    // The targets' pairs get the rounds (a cold start varies by several percent from one process to the next).
    const { ours, floor, ...info } = built.api.bundles;
    apiCold = {
      ...(await measureColdStart(runner, { ours, floor }, fns.api, options.coldRuns)),
      ...(await measureColdStart(runner, info, fns.api, options.infoColdRuns)),
    };
    consumerCold = await measureColdStart(runner, built.consumer.bundles, fns.consumer, options.coldRuns);
    const { hello: _hello, ...apiWarmBundles } = built.api.bundles;
    apiWarm = await measureWarm(runner, apiWarmBundles, fns.api, OPERATIONS.api, options.warmMs, options.warmRounds);
    consumerWarm = await measureWarm(
      runner,
      built.consumer.bundles,
      fns.consumer,
      OPERATIONS.consumer,
      options.warmMs,
      options.warmRounds,
    );
  } finally {
    await fns.close();
  }

  const shards = await measureShardScaling({
    runner,
    bundles: { ours: built.api.bundles.ours, floor: built.api.bundles.floor },
    taskRoot: dir,
    requests: options.shardRequests,
    rounds: options.shardRounds,
  });
  const shard = (n: number) => shards.find((s) => s.shards === n)!;

  const load: LoadResult = await measureLocalApi(options.loadSeconds);
  const faulted: FaultedLoad = await measureFaultedLoad(options.loadSeconds);

  const cold = { api: medians(apiCold), consumer: medians(consumerCold) };
  const warm = {
    api: Object.fromEntries(Object.entries(apiWarm).map(([k, v]) => [k, medians(v)])),
    consumer: Object.fromEntries(Object.entries(consumerWarm).map(([k, v]) => [k, medians(v)])),
  };
  const sizes = { api: built.api.sizes, consumer: built.consumer.sizes };
  const targets: Target[] = [
    target('api_bundle_bytes', sizes.api.ours.raw, sizes.api.floor.raw, LIMITS.bundle),
    paired('api_cold_start_ms', apiCold.ours, apiCold.floor, LIMITS.cold),
    paired('api_warm_post_track_per_s', apiWarm.ours.post, apiWarm.floor.post, LIMITS.warm),
    paired('api_warm_get_status_per_s', apiWarm.ours.status, apiWarm.floor.status, LIMITS.warm),
    paired('api_warm_get_shipments_per_s', apiWarm.ours.shipments, apiWarm.floor.shipments, LIMITS.warm),
    target('consumer_bundle_bytes', sizes.consumer.ours.raw, sizes.consumer.floor.raw, LIMITS.bundle),
    paired('consumer_cold_start_ms', consumerCold.ours, consumerCold.floor, LIMITS.cold),
    paired('consumer_warm_batches_per_s', consumerWarm.ours.batch, consumerWarm.floor.batch, LIMITS.warm),
    {
      ...target('shipments_8_shards_latency_ms', shard(8).p50Ms, shard(1).p50Ms, { max: 1.5 }),
      ratio: shard(8).ratioTo1,
      pass: shard(8).ratioTo1 <= 1.5,
    },
    atMost('projection_lag_p99_ms', load.lag.p99, PROJECTION_LAG_P99_MAX_MS),
    exactly('local_api_non_2xx', load.post.non2xx + load.get.non2xx, 0),
    exactly('local_api_lost_updates', load.idempotency.lost, 0),
    exactly('local_api_duplicated_updates', load.idempotency.duplicated, 0),
    exactly('faults_non_2xx', faulted.post.non2xx, 0),
    exactly('faults_202_minus_parked', faulted.answered202 - faulted.parked, 0),
    exactly('faults_missing_after_replay', faulted.missingAfterReplay, 0),
    exactly('faults_duplicated_updates', faulted.duplicated, 0),
  ];

  const result = {
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
    },
    options,
    sizes,
    cold_start_ms: { ...cold, runs: options.coldRuns, info_runs: options.infoColdRuns },
    warm_per_s: warm,
    shipments_shard_scaling: { query_latency_ms: QUERY_LATENCY_MS, results: shards },
    local_api: load,
    faulted_load: faulted,
    targets,
    seconds: round((Date.now() - started) / 1000, 1),
  };
  fs.writeFileSync(options.out, JSON.stringify(result, null, 2) + '\n');
  fs.rmSync(dir, { recursive: true, force: true });

  printReport(result);
  console.log(
    `\n${targets.every((t) => t.pass) ? 'all targets met' : 'TARGETS MISSED'}; ${result.seconds} s; JSON in ${options.out}`,
  );
  if (!targets.every((t) => t.pass)) process.exitCode = 1;
}

function printRows(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((r) => console.log(line(r)));
}

interface Report {
  sizes: Record<'api' | 'consumer', Sizes>;
  cold_start_ms: Record<'api' | 'consumer', Record<string, number>>;
  warm_per_s: Record<'api' | 'consumer', Record<string, Record<string, number>>>;
  shipments_shard_scaling: { query_latency_ms: number; results: ShardScaling[] };
  local_api: LoadResult;
  faulted_load: FaultedLoad;
  targets: Target[];
}

function printReport(r: Report) {
  printRows(
    ['target', 'ours', 'baseline', 'ratio', 'limit', 'result'],
    r.targets.map((t) => [
      t.name,
      String(t.value),
      String(t.baseline),
      String(t.ratio),
      t.limit,
      t.pass ? 'pass' : 'FAIL',
    ]),
  );
  const split = (ours: number, floor: number, minimal?: number) => [
    String(round(ours)),
    String(round(floor)),
    String(round(ours / floor, 3)),
    minimal === undefined ? '' : String(round(minimal)),
    minimal === undefined ? '' : String(round(floor / minimal, 3)),
  ];
  console.log('\nour code vs the libraries (ours/floor: our code; floor/minimal: the libraries):');
  const { api, consumer } = r.sizes;
  const warm = r.warm_per_s;
  printRows(
    ['figure', 'ours', 'floor', 'ours/floor', 'minimal', 'floor/minimal'],
    [
      ['api bundle bytes', ...split(api.ours.raw, api.floor.raw, api.minimal.raw)],
      ['api bundle gzip bytes', ...split(api.ours.gzip, api.floor.gzip, api.minimal.gzip)],
      ['api cold start ms', ...split(r.cold_start_ms.api.ours, r.cold_start_ms.api.floor, r.cold_start_ms.api.minimal)],
      ...(['post', 'status', 'shipments'] as const).map((op) => [
        `api warm ${op}/s`,
        ...split(warm.api.ours[op], warm.api.floor[op], warm.api.minimal[op]),
      ]),
      ['consumer bundle bytes', ...split(consumer.ours.raw, consumer.floor.raw)],
      ['consumer bundle gzip bytes', ...split(consumer.ours.gzip, consumer.floor.gzip)],
      ['consumer cold start ms', ...split(r.cold_start_ms.consumer.ours, r.cold_start_ms.consumer.floor)],
      ['consumer warm batches/s', ...split(warm.consumer.ours.batch, warm.consumer.floor.batch)],
    ],
  );
  console.log(`\ncold start of hello (the runtime's floor): ${round(r.cold_start_ms.api.hello)} ms`);
  const scaling = r.shipments_shard_scaling;
  console.log(
    `\nGET /shipments, every Query ${scaling.query_latency_ms} ms (p50 and p99 ms; ratio: p50 over 1 shard's):`,
  );
  printRows(
    ['shards', 'ours p50', 'ours p99', 'ours ratio', 'floor p50', 'floor p99', 'floor ratio'],
    scaling.results.map((s) =>
      [s.shards, s.p50Ms, s.p99Ms, s.ratioTo1, s.floor.p50Ms, s.floor.p99Ms, s.floor.ratioTo1].map(String),
    ),
  );
  const load = r.local_api;
  for (const [route, l] of Object.entries({ 'POST /track': load.post, 'GET /status': load.get })) {
    console.log(
      `local API ${route}: ${l.requestsPerSecond} req/s, p50 ${l.p50} ms, p99 ${l.p99} ms, non-2xx ${l.non2xx}`,
    );
  }
  const idem = load.idempotency;
  console.log(
    `local API: ${idem.unkeyedOk200} unkeyed and ${idem.keyedOk200} keyed POSTs answered 200 (${idem.keys} keys, ${idem.replayed} replays); ${idem.expectedItems} updates expected, ${load.itemsStored} stored, ${idem.lost} lost, ${idem.duplicated} duplicated`,
  );
  const lag = load.lag;
  console.log(
    `projection lag under load (POST answered -> GET /shipments lists it): p50 ${round(lag.p50)} ms, p99 ${round(lag.p99)} ms, max ${round(lag.max)} ms, ${lag.samples} samples`,
  );
  const f = r.faulted_load;
  console.log(
    `20 % of DynamoDB PutItems refused: ${f.answered200} answered 200, ${f.answered202} answered 202, ${f.parked} parked; after npm run replay (${f.replayRuns} runs) ${f.missingAfterReplay} answered updates missing, ${f.duplicated} duplicated`,
  );
}

if (require.main === module) {
  process.chdir(PROJECT_ROOT);
  // This process creates SDK clients too (the local AWS's table, the seeded item): as local/start.ts does.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  });
}
