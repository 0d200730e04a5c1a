/**
 * The benchmark is not a test (timings never gate `npm test`), but it must keep running: one tiny
 * run end to end, checking the report's shape and the one figure that is not a timing.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

const TARGETS = [
  'bundle_bytes',
  'bundle_gzip_bytes',
  'cold_start_ms',
  'warm_post_per_s',
  'warm_get_per_s',
  'local_api_non_2xx',
  'local_api_lost_updates',
];

describe('npm run bench (smoke, --quick)', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-')), 'bench.json');
  let report: {
    targets: { name: string; value: number; baseline: number; ratio: number; limit: string; pass: boolean }[];
    cold_start_ms: Record<string, number>;
    against_floor: {
      name: string;
      ours: number;
      floor: number;
      minimal: number;
      oursToFloor: number;
      floorToMinimal: number;
    }[];
    local_api: { post: { serverOk200: number }; itemsStored: number };
  };
  let stdout = '';

  beforeAll(async () => {
    const root = path.resolve(__dirname, '..', '..');
    // Exit code 1 means "a target was missed": still a complete run. Anything else is a crash.
    const result = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out],
      {
        cwd: root,
        timeout: 120_000,
      },
    ).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      if (error.code !== 1) throw new Error(`bench crashed (${error.code}): ${error.stderr}`);
      return { stdout: error.stdout ?? '' };
    });
    stdout = result.stdout;
    report = JSON.parse(fs.readFileSync(out, 'utf8'));
  }, 150_000);

  it('reports one {name, value, baseline, ratio, limit, pass} entry per target', () => {
    expect(report.targets.map((t) => t.name)).toEqual(TARGETS);
    for (const target of report.targets) {
      expect(Object.keys(target).sort()).toEqual(['baseline', 'limit', 'name', 'pass', 'ratio', 'value']);
      expect(Number.isFinite(target.value) && Number.isFinite(target.baseline)).toBe(true);
    }
  });

  it('measures ours, minimal, hello and the floor side by side', () => {
    expect(Object.keys(report.cold_start_ms)).toEqual(expect.arrayContaining(['ours', 'minimal', 'hello', 'floor']));
    for (const name of ['ours', 'minimal', 'hello', 'floor']) expect(report.cold_start_ms[name]).toBeGreaterThan(0);
  });

  it('splits every gap into what the required libraries cost (floor/minimal) and what our code costs (ours/floor)', () => {
    expect(report.against_floor.map((f) => f.name)).toEqual(TARGETS.slice(0, 5));
    for (const f of report.against_floor) {
      expect(f.oursToFloor).toBeCloseTo(f.ours / f.floor, 2);
      expect(f.floorToMinimal).toBeCloseTo(f.floor / f.minimal, 2);
    }
    const bundle = report.against_floor[0];
    // The floor carries Powertools and the SSM client, so it is larger than minimal and smaller than ours.
    expect(bundle.floor).toBeGreaterThan(bundle.minimal);
    expect(bundle.ours).toBeGreaterThan(bundle.floor);
    expect(stdout).toMatch(/figure\s+ours\s+floor\s+ours\/floor\s+minimal\s+floor\/minimal/);
  });

  it('loses no update under load: the table holds exactly the POSTs the server answered 200', () => {
    expect(report.local_api.post.serverOk200).toBeGreaterThan(0);
    expect(report.local_api.itemsStored).toBe(report.local_api.post.serverOk200);
  });

  it('prints the table', () => {
    expect(stdout).toMatch(/target\s+ours\s+baseline\s+ratio\s+limit\s+result/);
    for (const name of TARGETS) expect(stdout).toContain(name);
  });
});
