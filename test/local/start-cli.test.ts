/**
 * `npm start` as a user runs it: the process prints a banner whose curl commands work as pasted,
 * stops cleanly on SIGTERM, and keeps the data across restarts with --data-dir; a bad argument
 * is exit code 2 with the message and the usage (scripts/cli.ts), before anything starts.
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { STATUS_EVENT } from '../../lambda/contract';
import { PROJECT_ROOT } from '../../lib/bundle';
import { START_CLI } from '../../local/start';
import { apiClient, curlWithSigV4Available } from '../e2e/client';

const run = promisify(execFile);

interface Started {
  child: ChildProcess;
  output: () => string;
  banner: string;
}

async function start(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'local', 'start.ts'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c));
  child.stderr!.on('data', (c: Buffer) => (output += c));
  const deadline = Date.now() + 30_000;
  while (!output.includes('Ctrl-C to stop.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => output, banner: output };
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.once('exit', (code) => resolve(code));
    started.child.kill('SIGTERM');
  });
}

const curlLines = (banner: string) =>
  banner
    .split('\n')
    .filter((l) => l.trim().startsWith('curl '))
    .map((l) => l.trim());

describe('npm start (local/start.ts)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-data-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('prints a curl example that stores an update and reads it back, then stops on SIGTERM; --data-dir keeps the data', async () => {
    const curl = await curlWithSigV4Available();
    const first = await start(['--data-dir', dataDir, '--quiet']);
    let code: number | null;
    try {
      expect(first.banner).toMatch(/base URL\s+http:\/\/127\.0\.0\.1:\d+\/dev/);
      expect(first.banner).toContain('access key TAPLOCALACCESSKEY001  secret tap-local-secret-key');
      // Events: kept in memory by default, and only with the flag on.
      expect(first.banner).toContain(
        'events       bus tracking-events-dev -> kept in memory; use --events-file FILE (or --webhook URL)',
      );
      expect(first.banner).toContain(
        '(realTimeNotifications is off: none are put; start with --set realTimeNotifications=true)',
      );
      const [postLine, getLine] = curlLines(first.banner);
      expect(postLine).toContain('--aws-sigv4 "aws:amz:us-west-2:execute-api"');
      if (!curl) {
        console.log('skipped the pasted curl commands: curl >= 7.75 with --aws-sigv4 is not installed');
        return;
      }

      const posted = await run('bash', ['-c', postLine]);
      expect(JSON.parse(posted.stdout)).toEqual(
        expect.objectContaining({ tracking_id: 'PKG-1001', timestamp: expect.any(Number) }),
      );
      const read = await run('bash', ['-c', getLine]);
      expect(JSON.parse(read.stdout)).toEqual(expect.objectContaining({ tracking_id: 'PKG-1001', count: 1 }));
      // One log line per request: method, path, status, ms.
      await new Promise((r) => setTimeout(r, 100));
      expect(first.output()).toMatch(/POST \/dev\/track 200 \d+\.\dms/);
      expect(first.output()).toMatch(/GET \/dev\/status 200 \d+\.\dms/);
    } finally {
      code = await stop(first);
    }
    expect(code).toBe(0);
    expect(first.output()).toContain('SIGTERM: shutting down');

    if (!curl) return;
    const second = await start(['--data-dir', dataDir, '--quiet']);
    try {
      const [, getLine] = curlLines(second.banner);
      const read = await run('bash', ['-c', getLine]);
      expect(JSON.parse(read.stdout)).toEqual(expect.objectContaining({ tracking_id: 'PKG-1001', count: 1 }));
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });

  it('with --set realTimeNotifications=true --events-file FILE, appends each status-change event to FILE', async () => {
    const eventsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-events-'));
    const eventsFile = path.join(eventsDir, 'out', 'events.jsonl');
    const started = await start(['--set', 'realTimeNotifications=true', '--events-file', eventsFile, '--quiet']);
    try {
      expect(started.banner).toContain(`events       bus tracking-events-dev -> events file ${eventsFile}\n`);
      expect(started.banner).not.toContain('realTimeNotifications is off');
      const url = /base URL\s+(\S+)/.exec(started.banner)![1];
      const client = apiClient(url, 'us-west-2', async () => ({
        accessKeyId: 'TAPLOCALACCESSKEY001',
        secretAccessKey: 'tap-local-secret-key',
      }));
      const posted = await client.request({
        method: 'POST',
        path: '/track',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ tracking_id: 'PKG-EVT-1', status: 'pending', location: { lat: 1, lng: 2 } }),
      });
      expect(posted.status).toBe(200);
      const deadline = Date.now() + 15_000;
      while (fs.readFileSync(eventsFile, 'utf8') === '' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const [line, ...more] = fs.readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean);
      expect(more).toEqual([]);
      expect(JSON.parse(line)).toEqual({
        Time: expect.any(String),
        Source: STATUS_EVENT.source,
        DetailType: STATUS_EVENT.detailType,
        EventBusName: 'tracking-events-dev',
        Detail: expect.objectContaining({ tracking_id: 'PKG-EVT-1', status: 'pending', previous_status: null }),
      });
    } finally {
      expect(await stop(started)).toBe(0);
      fs.rmSync(eventsDir, { recursive: true, force: true });
    }
  });

  it('prints its usage with --help', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'local', 'start.ts'), '--help'],
      { cwd: PROJECT_ROOT },
    );
    expect(stdout).toContain('Usage: npm start -- [options]');
    expect(stdout).toContain('--data-dir DIR');
    expect(stdout).toMatch(/--fault SPEC +inject a fault into a local AWS service/);
  });

  it.each([
    ['an unknown option', ['--bogus'], 'npm start: unknown argument "--bogus"'],
    ['a positional', ['serve'], 'npm start: unexpected argument "serve"'],
    ['a bad port', ['--port', 'abc'], 'npm start: --port must be an integer from 0 to 65535, got "abc"'],
    ['a missing --fault spec', ['--fault'], 'npm start: --fault needs a value'],
    [
      'a --webhook that is not http(s)',
      ['--webhook', 'ftp://example.com/hook'],
      'npm start: --webhook must be an http:// or https:// URL, got "ftp://example.com/hook"',
    ],
  ])(
    'refuses %s with exit code 2, the message and the usage on stderr, starting nothing',
    async (_name, args, message) => {
      const failed = await run(
        process.execPath,
        ['--import', 'tsx', path.join(PROJECT_ROOT, 'local', 'start.ts'), ...args],
        { cwd: PROJECT_ROOT },
      ).then(
        () => {
          throw new Error('npm start accepted a bad argument');
        },
        (error: { code?: number; stdout?: string; stderr?: string }) => error,
      );
      expect(failed.code).toBe(2);
      expect(failed.stdout).toBe('');
      expect(failed.stderr).toBe(`${message}\n${START_CLI.usage}\n`);
    },
  );
});
