/**
 * The POST load with DynamoDB refusing a share of the writes (`--fault`, docs/local.md): the function
 * retries, parks on the queue what DynamoDB still refuses (202), and `npm run replay`, run with the
 * environment the server's banner prints for it, drains the queue into the table. Then every update
 * answered 200 or 202 must be in the table once, and each 202 must have been one parked message.
 *
 * The fault hits every table's PutItem, the idempotency records' included (a keyed POST refused there
 * is a 503 that stores nothing): this load sends no Idempotency-Key.
 */
import { spawn } from 'child_process';
import { ROUTES, type TrackingStatus } from '../lambda/contract';
import { PROJECT_ROOT } from '../lib/bundle';
import {
  answeredItem,
  difference,
  fire,
  startLocalServer,
  storedItems,
  type LocalServer,
  type RouteLoad,
  type SignedRequest,
  type Workload,
} from './load';

/** docs/local.md's example: a fifth of the writes refused, as DynamoDB throttles. */
const WRITE_FAULT = 'dynamodb:PutItem=ProvisionedThroughputExceededException@0.2';
const STATUS: TrackingStatus = 'in_transit';
const TRACKING_IDS = Array.from({ length: 32 }, (_, i) => `FAULT-${process.pid}-${i}`);
/** The replay's own writes meet the fault too: a message it could not store waits for the next run. */
const MAX_REPLAY_RUNS = 5;
/**
 * The replays' visibility timeout (`--visibility`): a message a run could not store is hidden that
 * long, and the next run starts after it (with replay's default of 60 s it would still be hidden).
 */
const REPLAY_VISIBILITY_SECONDS = 1;

export interface FaultedLoad {
  post: RouteLoad;
  /** The server's answers (its request log). */
  answered200: number;
  answered202: number;
  /** Messages the first replay found on the parking queue. */
  parked: number;
  /** Parked updates the replays stored, or found already stored. */
  replayed: number;
  replayRuns: number;
  /** Parked updates the last replay still could not store. */
  replayFailed: number;
  itemsStored: number;
  /** Updates answered 200 or 202 that the table does not hold after the replay. */
  missingAfterReplay: number;
  /** Stored items no answer accounts for. */
  duplicated: number;
}

/** Keeps the item each 200 names (a 202's item may land a millisecond later once replayed: 202s are counted). */
class FaultedPosts implements Workload<undefined> {
  private sent = 0;
  readonly storedItems: string[] = [];

  constructor(private readonly requests: SignedRequest[]) {}

  next() {
    return { request: this.requests[this.sent++ % this.requests.length], tag: undefined };
  }

  answered(_tag: undefined, status: number, body: string) {
    if (status === 200) this.storedItems.push(answeredItem(body));
  }
}

/** The words of a POSIX shell line as local/banner.ts quotes them (bare, or in single quotes with `'\''`). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The banner's `env K=V … npm run replay` line, as the variables it sets. */
function replayEnvironment(server: LocalServer): Record<string, string> {
  const line = server.banner.find((l) => / npm run replay$/.test(l));
  const words = line ? shellWords(line) : [];
  if (words[0] !== 'env') throw new Error(`no replay line in the banner:\n${server.banner.join('\n')}`);
  return Object.fromEntries(
    words.slice(1, words.indexOf('npm')).map((assignment) => {
      const at = assignment.indexOf('=');
      return [assignment.slice(0, at), assignment.slice(at + 1)];
    }),
  );
}

interface ReplayRun {
  received: number;
  stored: number;
  alreadyStored: number;
  failed: number;
}

/** `npm run replay` with the banner's environment, as docs/local.md tells an operator to run it. */
function runReplay(env: Record<string, string>): Promise<ReplayRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'replay', '--', '--visibility', String(REPLAY_VISIBILITY_SECONDS)], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      // scripts/replay.ts formatSummary(); exit code 1 only says a message failed, which the summary counts.
      const summary = /^replay: received (\d+)(?: \([^)]*\))?: stored (\d+), already stored (\d+), failed (\d+)/m.exec(
        out,
      );
      if (!summary || (code !== 0 && code !== 1)) {
        reject(new Error(`npm run replay exited ${code}:\n${out.trim()}`));
        return;
      }
      const [received, stored, alreadyStored, failed] = summary.slice(1).map(Number);
      resolve({ received, stored, alreadyStored, failed });
    });
  });
}

export async function measureFaultedLoad(seconds: number): Promise<FaultedLoad> {
  const server = await startLocalServer(['--fault', WRITE_FAULT]);
  try {
    const requests = await Promise.all(
      TRACKING_IDS.map((id, i) =>
        server.sign(
          'POST',
          ROUTES.track.path,
          JSON.stringify({ tracking_id: id, status: STATUS, location: { lat: 50 + i / 100, lng: 8 } }),
        ),
      ),
    );
    const posts = new FaultedPosts(requests);
    const before202 = server.answers(ROUTES.track.method, ROUTES.track.path, 202);
    const post = await fire(server, ROUTES.track, posts, seconds);
    const answered202 = server.answers(ROUTES.track.method, ROUTES.track.path, 202) - before202;

    const env = replayEnvironment(server);
    const runs: ReplayRun[] = [];
    runs.push(await runReplay(env));
    while (runs[runs.length - 1].failed > 0 && runs.length < MAX_REPLAY_RUNS) {
      await new Promise((resolve) => setTimeout(resolve, REPLAY_VISIBILITY_SECONDS * 1000 + 200));
      runs.push(await runReplay(env));
    }

    const stored = await storedItems(server, TRACKING_IDS);
    const { missing, extra } = difference(posts.storedItems, stored);
    return {
      post,
      answered200: post.serverOk200,
      answered202,
      parked: runs[0].received,
      replayed: runs.reduce((sum, run) => sum + run.stored + run.alreadyStored, 0),
      replayRuns: runs.length,
      replayFailed: runs[runs.length - 1].failed,
      itemsStored: stored.length,
      // Items beyond the 200s' are the replayed 202s: fewer is a loss, more a duplicate.
      missingAfterReplay: missing + Math.max(0, answered202 - extra),
      duplicated: Math.max(0, extra - answered202),
    };
  } finally {
    await server.stop();
  }
}
