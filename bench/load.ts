/**
 * The local API under load: `npm start`'s server (local/start.ts) in its own process, autocannon with
 * 32 connections sending SigV4-signed POST /track, then GET /status. Half the POSTs carry an
 * `Idempotency-Key`; autocannon sends each signed request many times, so a keyed one sent again is a
 * real retry, which must get the first answer back and store nothing. Beside the POSTs, a prober
 * (lag.ts) measures how long the projection takes to list a new update.
 *
 * Afterwards every shipment is read back page by page through the API and each stored item is matched
 * against the answers: one item per unkeyed 200, one per key answered 200, nothing else. At the
 * deadline each connection stops once it has read the answer it waits for, so the client hears every
 * answer the server gives; the server's own request log is the cross-check (`serverOk200`).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import autocannon from 'autocannon';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { IDEMPOTENCY, LIMITS, ROUTES, type TrackingStatus } from '../lambda/contract';
import { PROJECT_ROOT } from '../lib/bundle';
import { startLagProber, type ProjectionLag } from './lag';

export interface RouteLoad {
  /** Answers read within the load's seconds, per second. */
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** 200 answers autocannon read. */
  ok200: number;
  /** 200 answers the server gave to the load (its request log; the prober's excluded). */
  serverOk200: number;
  total: number;
}

interface IdempotencyLoad {
  /** The load's POSTs that carried a key, of all it sent. */
  keyedShare: number;
  unkeyedOk200: number;
  keyedOk200: number;
  /** Distinct keys answered 200: each stores exactly one item. */
  keys: number;
  /** Keyed 200s marked replayed (`IDEMPOTENCY.replayedHeader`): retries that stored nothing. */
  replayed: number;
  /** Keyed 200s not marked replayed beyond one per key: a retry that ran again. */
  reran: number;
  /** One per unkeyed 200, one per key answered 200. */
  expectedItems: number;
  /** Answered updates the table does not hold. */
  lost: number;
  /** Stored items no answer accounts for (a second item for one key included). */
  duplicated: number;
}

export interface LoadResult {
  post: RouteLoad;
  get: RouteLoad;
  itemsStored: number;
  idempotency: IdempotencyLoad;
  /** From a POST's answer to GET /shipments listing it, under the POST load. */
  lag: ProjectionLag;
}

const CREDENTIALS = { accessKeyId: 'BENCHLOCALKEY', secretAccessKey: 'bench-local-secret' };
const CONNECTIONS = 32;
const LOAD_STATUS: TrackingStatus = 'in_transit';
/** The prober's status: one the load never writes, so its listing holds the probes only. */
const PROBE_STATUS: TrackingStatus = 'delivered';
/** Shipments written under load; each signed request is sent many times. */
const TRACKING_IDS = Array.from({ length: 32 }, (_, i) => `LOAD-${process.pid}-${i}`);
/** Keys are used window by window, each KEY_USES times, so every key is retried several times. */
const KEY_WINDOW = 16;
const KEY_USES = 4;
/** New keys per second of load that the signed pool holds; past the pool, old keys come round again. */
const KEYS_PER_SECOND = 64;
/** How long the connections may take to read their last answers before autocannon stops them regardless. */
const DRAIN_LIMIT_SECONDS = 30;

export interface SignedRequest {
  method: 'GET' | 'POST';
  /** Under the stage, with the query. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LocalServer {
  /** `http://host:port/<stage>`, from the banner. */
  url: string;
  /** What the server printed once ready. */
  banner: string[];
  /** Gateway log lines so far for `method` and the route `routePath`, with `status` or any. */
  answers(method: string, routePath: string, status?: number): number;
  /** Signs a request to `routePath` (with its query) under the stage. */
  sign(
    method: SignedRequest['method'],
    routePath: string,
    body?: string,
    headers?: Record<string, string>,
  ): Promise<SignedRequest>;
  send(request: SignedRequest): Promise<Response>;
  stop(): Promise<void>;
}

/** Starts `npm start`'s server on a free port with `args` (besides --quiet); resolves once its banner is out. */
export async function startLocalServer(args: string[] = []): Promise<LocalServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'local', 'start.ts'), '--quiet', ...args],
    {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: '0',
        TAP_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        TAP_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const counts = new Map<string, number>();
  const banner: string[] = [];
  let ready: (() => void) | undefined;
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^(GET|POST) (\S+) (\d{3}) /.exec(line);
      if (match) {
        const key = `${match[1]} ${match[2]} ${match[3]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      } else if (ready) {
        banner.push(line);
        // The banner's last line (local/banner.ts).
        if (/ npm run replay$/.test(line)) ready();
      }
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`local API did not start within 60 s: ${stderr.trim()}`)),
        60_000,
      );
      ready = () => {
        clearTimeout(timer);
        ready = undefined;
        resolve();
      };
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`local API exited ${code}: ${stderr.trim()}`));
      });
    });
  } catch (error) {
    child.kill('SIGTERM');
    throw error;
  }
  return serverOf(child, exited, banner, counts);
}

function serverOf(
  child: ChildProcess,
  exited: Promise<void>,
  banner: string[],
  counts: Map<string, number>,
): LocalServer {
  const first = /ready: stage (\S+), region (\S+)/.exec(banner.join('\n'));
  const url = /^\s+base URL\s+(\S+)/m.exec(banner.join('\n'))?.[1];
  if (!first || !url) throw new Error(`unexpected banner:\n${banner.join('\n')}`);
  const [, stage, region] = first;
  const { host, hostname, port, origin } = new URL(url);
  const signer = new SignatureV4({ service: 'execute-api', region, credentials: CREDENTIALS, sha256: Sha256 });
  return {
    url,
    banner,
    answers: (method, routePath, status) => {
      const prefix = `${method} /${stage}${routePath} `;
      let sum = 0;
      for (const [key, n] of counts)
        if (key === `${prefix}${status}` || (status === undefined && key.startsWith(prefix))) sum += n;
      return sum;
    },
    async sign(method, routePath, body, extra = {}) {
      const [pathname, search = ''] = `/${stage}${routePath}`.split('?');
      const headers: Record<string, string> = { host, ...extra };
      if (body !== undefined) headers['content-type'] = 'application/json';
      // SigV4 signs the query sorted by name, whatever order it is sent in.
      const query = Object.fromEntries(new URLSearchParams(search));
      const signed = await signer.sign({
        method,
        protocol: 'http:',
        hostname,
        port: Number(port),
        path: pathname,
        query,
        headers,
        body,
      });
      return { method, path: `/${stage}${routePath}`, headers: signed.headers as Record<string, string>, body };
    },
    send: (request) =>
      fetch(`${origin}${request.path}`, { method: request.method, headers: request.headers, body: request.body }),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What a load sends, request by request (one at a time per connection), and hears back. */
export interface Workload<T> {
  next(): { request: SignedRequest; tag: T };
  answered(tag: T, status: number, body: string, headers: Record<string, string | string[]>): void;
}

interface Drive {
  result: autocannon.Result;
  /** Answers read before the deadline. */
  inWindow: number;
  /** Every answer read, the drain's included. */
  answered: number;
}

/** autocannon 8 ends a connection once it has made `responseMax` requests, after reading the last answer. */
type Connection = autocannon.Client & { reqsMade: number; responseMax?: number };

/** Runs `workload` for `seconds`, then lets each connection read the answer it waits for. */
async function drive<T>(server: LocalServer, workload: Workload<T>, seconds: number): Promise<Drive> {
  const connections: Connection[] = [];
  let draining = false;
  let inWindow = 0;
  let answered = 0;
  const deadline = setTimeout(() => {
    draining = true;
    for (const connection of connections) connection.responseMax = connection.reqsMade;
  }, seconds * 1000);
  try {
    const result = await autocannon({
      url: new URL(server.url).origin,
      connections: CONNECTIONS,
      duration: seconds + DRAIN_LIMIT_SECONDS,
      setupClient: (client) => {
        if (typeof (client as Connection).reqsMade !== 'number') {
          throw new Error('autocannon no longer counts requests per connection (reqsMade): the drain needs it');
        }
        connections.push(client as Connection);
      },
      // Signing is async and setupRequest is not: the workload hands out requests signed beforehand.
      // The context lives from a request's setup to its answer: it carries the request's tag.
      requests: [
        {
          setupRequest: (req, context) => {
            const { request, tag } = workload.next();
            (context as { tag?: T }).tag = tag;
            return { ...req, ...request };
          },
          onResponse: (status, body, context, headers) => {
            answered += 1;
            if (!draining) inWindow += 1;
            workload.answered((context as { tag: T }).tag, status, body, headers as Record<string, string | string[]>);
          },
        },
      ],
    });
    return { result, inWindow, answered };
  } finally {
    clearTimeout(deadline);
  }
}

/** Waits until the server's log shows `expected` more answers on the route than `before` (its lines trail the answers). */
async function settle(server: LocalServer, method: string, routePath: string, before: number, expected: number) {
  const until = Date.now() + 5000;
  while (server.answers(method, routePath) - before < expected && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Drives `workload` on one route; `beside` runs alongside and, once stopped, reports its own POSTs on it. */
export async function fire<T>(
  server: LocalServer,
  route: { method: string; path: string },
  workload: Workload<T>,
  seconds: number,
  beside?: { stop(): Promise<{ posts: number; posts200: number }> },
): Promise<RouteLoad> {
  const before = { all: server.answers(route.method, route.path), ok: server.answers(route.method, route.path, 200) };
  const { result, inWindow, answered } = await drive(server, workload, seconds);
  const own = (await beside?.stop()) ?? { posts: 0, posts200: 0 };
  await settle(server, route.method, route.path, before.all, answered + own.posts);
  return {
    requestsPerSecond: Math.round(inWindow / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    ok200: result.statusCodeStats?.['200']?.count ?? 0,
    serverOk200: server.answers(route.method, route.path, 200) - before.ok - own.posts200,
    total: result.requests.total,
  };
}

/** The same requests again and again, in turn. */
function cycle(requests: SignedRequest[]): Workload<undefined> {
  let next = 0;
  return { next: () => ({ request: requests[next++ % requests.length], tag: undefined }), answered: () => undefined };
}

/** `<tracking_id>#<timestamp>`: one history item, as an answer names it and as GET /status lists it. */
const itemKey = (trackingId: string, timestamp: number) => `${trackingId}#${timestamp}`;
const shipmentOf = (item: string) => item.slice(0, item.lastIndexOf('#'));

/** Every history item of `trackingIds`, read back through the API page by page, as itemKey()s. */
export async function storedItems(server: LocalServer, trackingIds: string[]): Promise<string[]> {
  const items: string[] = [];
  for (const trackingId of trackingIds) {
    let lastKey: string | undefined;
    do {
      const query = `tracking_id=${encodeURIComponent(trackingId)}&limit=${LIMITS.pageSizeMax}${lastKey ? `&last_key=${encodeURIComponent(lastKey)}` : ''}`;
      const response = await server.send(await server.sign('GET', `${ROUTES.status.path}?${query}`));
      if (response.status === 404) break;
      if (response.status !== 200) throw new Error(`GET /status answered ${response.status}: ${await response.text()}`);
      const page = (await response.json()) as { updates: { timestamp: number }[]; next_key?: string };
      for (const update of page.updates) items.push(itemKey(trackingId, update.timestamp));
      lastKey = page.next_key;
    } while (lastKey);
  }
  return items;
}

/** The item a 200 or 202 answer of POST /track names. */
export function answeredItem(body: string): string {
  const { tracking_id, timestamp } = JSON.parse(body) as { tracking_id: string; timestamp: number };
  return itemKey(tracking_id, timestamp);
}

/** What `stored` lacks of `expected` and holds beyond it, each item counted as often as it occurs. */
export function difference(expected: string[], stored: string[]): { missing: number; extra: number } {
  const left = new Map<string, number>();
  for (const item of stored) left.set(item, (left.get(item) ?? 0) + 1);
  let missing = 0;
  for (const item of expected) {
    const n = left.get(item) ?? 0;
    if (n === 0) missing += 1;
    else left.set(item, n - 1);
  }
  let extra = 0;
  for (const n of left.values()) extra += n;
  return { missing, extra };
}

/** Each key's signed request, one key per scan (its own location, so its own body). */
function keyedRequests(server: LocalServer, count: number): Promise<SignedRequest[]> {
  return Promise.all(
    Array.from({ length: count }, (_, k) =>
      server.sign(
        'POST',
        ROUTES.track.path,
        JSON.stringify({
          tracking_id: TRACKING_IDS[k % TRACKING_IDS.length],
          status: LOAD_STATUS,
          location: { lat: 10 + k / 1000, lng: 20 },
        }),
        { [IDEMPOTENCY.header]: `scan-${process.pid}-${k}` },
      ),
    ),
  );
}

/**
 * Every other POST keyed (the rest unkeyed). A key is not sent again before its last attempt is
 * answered (an unkeyed request goes instead): a client retries once an attempt has ended.
 */
class PostWorkload implements Workload<number | undefined> {
  private unkeyedSent = 0;
  private keyedSent = 0;
  private readonly unanswered = new Set<number>();
  readonly unkeyedItems: string[] = [];
  /** The item each key's first 200 named. */
  readonly keyItems = new Map<number, string>();
  keyedOk200 = 0;
  replayed = 0;
  reran = 0;

  constructor(
    private readonly unkeyed: SignedRequest[],
    private readonly keyed: SignedRequest[],
  ) {}

  next() {
    if (this.keyedSent < this.unkeyedSent) {
      const window = Math.floor(this.keyedSent / (KEY_WINDOW * KEY_USES));
      const key = (window * KEY_WINDOW + (this.keyedSent % KEY_WINDOW)) % this.keyed.length;
      if (!this.unanswered.has(key)) {
        this.keyedSent += 1;
        this.unanswered.add(key);
        return { request: this.keyed[key], tag: key };
      }
    }
    return { request: this.unkeyed[this.unkeyedSent++ % this.unkeyed.length], tag: undefined };
  }

  answered(key: number | undefined, status: number, body: string, headers: Record<string, string | string[]>) {
    if (key !== undefined) this.unanswered.delete(key);
    if (status !== 200) return;
    const item = answeredItem(body);
    if (key === undefined) {
      this.unkeyedItems.push(item);
      return;
    }
    this.keyedOk200 += 1;
    const replayed = Object.entries(headers).some(
      ([name, value]) => name.toLowerCase() === IDEMPOTENCY.replayedHeader.toLowerCase() && String(value) === 'true',
    );
    if (replayed) this.replayed += 1;
    else if (this.keyItems.has(key)) this.reran += 1;
    if (!this.keyItems.has(key)) this.keyItems.set(key, item);
  }

  get keyedShare() {
    return this.keyedSent / (this.keyedSent + this.unkeyedSent);
  }
}

/** `serverArgs` go to local/start.ts besides --quiet (none: `npm start` as it comes). */
export async function measureLocalApi(seconds: number, serverArgs: string[] = []): Promise<LoadResult> {
  const server = await startLocalServer(serverArgs);
  try {
    const unkeyed = await Promise.all(
      TRACKING_IDS.map((id, i) =>
        server.sign(
          'POST',
          ROUTES.track.path,
          JSON.stringify({ tracking_id: id, status: LOAD_STATUS, location: { lat: 40 + i / 100, lng: -74 } }),
        ),
      ),
    );
    const keyed = await keyedRequests(server, Math.max(KEY_WINDOW, Math.ceil(KEYS_PER_SECOND * seconds)));
    const posts = new PostWorkload(unkeyed, keyed);
    const prober = startLagProber({
      status: PROBE_STATUS,
      send: async (method, routePath, body) => server.send(await server.sign(method, routePath, body)),
    });
    const post = await fire(server, ROUTES.track, posts, seconds, prober);
    const expected = [...posts.unkeyedItems, ...posts.keyItems.values()];

    // The shipments the POSTs wrote (a short run may not reach all): any other would be a 404.
    const written = [...new Set(expected.map(shipmentOf))];
    const gets = await Promise.all(
      written.map((id) =>
        server.sign('GET', `${ROUTES.status.path}?tracking_id=${id}&limit=${LIMITS.pageSizeDefault}`),
      ),
    );
    const get = await fire(server, ROUTES.status, cycle(gets), seconds);

    const stored = await storedItems(server, TRACKING_IDS);
    const { missing, extra } = difference(expected, stored);
    return {
      post,
      get,
      itemsStored: stored.length,
      idempotency: {
        keyedShare: Math.round(posts.keyedShare * 1000) / 1000,
        unkeyedOk200: posts.unkeyedItems.length,
        keyedOk200: posts.keyedOk200,
        keys: posts.keyItems.size,
        replayed: posts.replayed,
        reran: posts.reran,
        expectedItems: expected.length,
        lost: missing,
        duplicated: extra,
      },
      lag: await prober.stop(),
    };
  } finally {
    await server.stop();
  }
}
