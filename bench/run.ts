/**
 * `npm run bench [-- --out FILE] [--quick]`: the function against its floor, side by side in one run.
 * Prints a table and writes JSON whose `targets` hold {name, value, baseline, ratio, limit, pass}.
 * Every figure is a median over repeated runs, next to its baseline measured in the same run.
 * Baselines: `hello` (a constant), `minimal` (the DynamoDB work only; the targets' baseline) and
 * `floor` (minimal + the libraries the handler must use), which splits each gap in two:
 * `against_floor` in the JSON, a second table on screen.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { buildSync } from 'esbuild';
import { buildBundle, PROJECT_ROOT } from '../lib/bundle';
import { FUNCTIONS } from '../lib/functions';
import { startBenchFunction } from './function-env';
import { measureColdStart, measureWarm } from './processes';
import { measureLocalApi, type LoadResult } from './load';
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
  coldRuns: number;
  warmMs: number;
  warmRepeats: number;
  loadSeconds: number;
}

const BENCH_CLI = {
  command: 'bench',
  usage: `usage: npm run bench -- [--out FILE] [--quick]

  --out FILE   write the JSON report to FILE (default: bench-results.json)
  --quick      a smoke run: 3 cold starts, 1 x 200 ms warm, 1 s per local API route
  -h, --help   this text

Exit code 0 when every target is met, 1 when one is missed, 2 on a bad argument or a crash.`,
  options: { out: { type: 'string', default: 'bench-results.json' }, quick: { type: 'boolean' } },
} as const satisfies CliSpec;

/** --help or a bad argument exits here (0 or 2, scripts/cli.ts). */
function parseArgs(argv: string[]): Options {
  return runCli(BENCH_CLI, argv, (values) => ({
    out: values.out,
    ...(values.quick
      ? { coldRuns: 3, warmMs: 200, warmRepeats: 1, loadSeconds: 1 }
      : { coldRuns: 21, warmMs: 2000, warmRepeats: 5, loadSeconds: 10 }),
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

interface FloorComparison {
  name: string;
  ours: number;
  floor: number;
  minimal: number;
  oursToFloor: number;
  floorToMinimal: number;
}

/** Splits each figure's gap: the required libraries (floor/minimal) and our own code (ours/floor). */
function againstFloor(
  sizes: Record<string, { raw: number; gzip: number }>,
  cold: Record<'ours' | 'minimal' | 'floor', number[]>,
  warm: Record<'ours' | 'minimal' | 'floor', { post: number[]; get: number[] }>,
): FloorComparison[] {
  const figure = (name: string, of: (k: 'ours' | 'minimal' | 'floor') => number): FloorComparison => {
    const [ours, floor, minimal] = [of('ours'), of('floor'), of('minimal')];
    return {
      name,
      ours: round(ours),
      floor: round(floor),
      minimal: round(minimal),
      oursToFloor: round(ours / floor, 3),
      floorToMinimal: round(floor / minimal, 3),
    };
  };
  return [
    figure('bundle_bytes', (k) => sizes[k].raw),
    figure('bundle_gzip_bytes', (k) => sizes[k].gzip),
    figure('cold_start_ms', (k) => median(cold[k])),
    figure('warm_post_per_s', (k) => median(warm[k].post)),
    figure('warm_get_per_s', (k) => median(warm[k].get)),
  ];
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

/** Builds ours and the baselines with the one esbuild configuration, plus the child runner. */
function buildAll(dir: string) {
  const bundles: Record<'ours' | 'minimal' | 'hello' | 'floor', string> = {
    ours: '',
    minimal: '',
    hello: '',
    floor: '',
  };
  const entries = {
    ours: FUNCTIONS.api.entry,
    minimal: path.join(__dirname, 'baselines', 'minimal.ts'),
    hello: path.join(__dirname, 'baselines', 'hello.ts'),
    floor: path.join(__dirname, 'baselines', 'floor.ts'),
  };
  const sizes: Record<string, { raw: number; gzip: number }> = {};
  for (const [name, entry] of Object.entries(entries) as [keyof typeof bundles, string][]) {
    const { code } = buildBundle(entry);
    const file = path.join(dir, `${name}.mjs`);
    fs.writeFileSync(file, code);
    bundles[name] = file;
    sizes[name] = { raw: Buffer.byteLength(code), gzip: gzipSync(code).length };
  }
  const runner = path.join(dir, 'invoke.mjs');
  buildSync({
    entryPoints: [path.join(__dirname, 'invoke.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: runner,
    logLevel: 'silent',
  });
  return { bundles, sizes, runner };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-bench-'));
  const { bundles, sizes, runner } = buildAll(dir);

  // The project's one local AWS, with nothing injected: what the bundles pay for is the engine's work.
  const fn = await startBenchFunction(dir);
  let cold: Record<keyof typeof bundles, number[]>;
  let warm: Record<'ours' | 'minimal' | 'floor', { post: number[]; get: number[] }>;
  try {
    cold = await measureColdStart(runner, bundles, fn, options.coldRuns);
    warm = await measureWarm(
      runner,
      { ours: bundles.ours, minimal: bundles.minimal, floor: bundles.floor },
      fn,
      options.warmMs,
      options.warmRepeats,
    );
  } finally {
    await fn.close();
  }

  const load: LoadResult = await measureLocalApi(options.loadSeconds);

  const targets: Target[] = [
    target('bundle_bytes', sizes.ours.raw, sizes.minimal.raw, { max: 1.3 }),
    target('bundle_gzip_bytes', sizes.ours.gzip, sizes.minimal.gzip, { max: 1.3 }),
    target('cold_start_ms', median(cold.ours), median(cold.minimal), { max: 1.25 }),
    target('warm_post_per_s', median(warm.ours.post), median(warm.minimal.post), { min: 0.7 }),
    target('warm_get_per_s', median(warm.ours.get), median(warm.minimal.get), { min: 0.7 }),
    exactly('local_api_non_2xx', load.post.non2xx + load.get.non2xx, 0),
    exactly('local_api_lost_updates', load.post.serverOk200 - load.itemsStored, 0),
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
    cold_start_ms: {
      ours: median(cold.ours),
      minimal: median(cold.minimal),
      hello: median(cold.hello),
      floor: median(cold.floor),
      runs: options.coldRuns,
    },
    warm_per_s: {
      ours: { post: median(warm.ours.post), get: median(warm.ours.get) },
      minimal: { post: median(warm.minimal.post), get: median(warm.minimal.get) },
      floor: { post: median(warm.floor.post), get: median(warm.floor.get) },
    },
    against_floor: againstFloor(sizes, cold, warm),
    local_api: load,
    targets,
    seconds: round((Date.now() - started) / 1000, 1),
  };
  fs.writeFileSync(options.out, JSON.stringify(result, null, 2) + '\n');
  fs.rmSync(dir, { recursive: true, force: true });

  printTable(result.cold_start_ms.hello, load, targets, result.against_floor);
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

function printTable(helloColdMs: number, load: LoadResult, targets: Target[], floor: FloorComparison[]) {
  printRows(
    ['target', 'ours', 'baseline', 'ratio', 'limit', 'result'],
    targets.map((t) => [
      t.name,
      String(t.value),
      String(t.baseline),
      String(t.ratio),
      t.limit,
      t.pass ? 'pass' : 'FAIL',
    ]),
  );
  console.log('\nagainst the floor (minimal + the required Powertools and SSM; informational, not a target):');
  printRows(
    ['figure', 'ours', 'floor', 'ours/floor', 'minimal', 'floor/minimal'],
    floor.map((f) => [
      f.name,
      String(f.ours),
      String(f.floor),
      String(f.oursToFloor),
      String(f.minimal),
      String(f.floorToMinimal),
    ]),
  );
  console.log(`\ncold start of hello (the runtime's floor): ${round(helloColdMs)} ms`);
  for (const [route, r] of Object.entries({ 'POST /track': load.post, 'GET /status': load.get })) {
    console.log(
      `local API ${route}: ${r.requestsPerSecond} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`,
    );
  }
  console.log(
    `local API: ${load.post.serverOk200} POSTs answered 200 by the server (${load.post.ok200} read by autocannon before its deadline), ${load.itemsStored} items stored`,
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
