/**
 * The local API under load: `npm start`'s server in its own process, autocannon with 32 connections
 * sending SigV4-signed POST /track then GET /status. Afterwards every tracking id is read back
 * page by page through the API itself, to count the stored items against the POSTs answered 200.
 *
 * "Answered 200" is counted from the server's own request log: autocannon stops at the deadline
 * with up to 32 requests in flight, which the server still stores and answers but the client never
 * reads. The client-side 200 count is reported beside it.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import autocannon from 'autocannon';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { PROJECT_ROOT } from '../lib/bundle';

interface RouteLoad {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** 200 answers autocannon read. */
  ok200: number;
  /** 200 answers the server gave (its request log), including those in flight at the deadline. */
  serverOk200: number;
  total: number;
}
export interface LoadResult {
  post: RouteLoad;
  get: RouteLoad;
  itemsStored: number;
}

const CREDENTIALS = { accessKeyId: 'BENCHLOCALKEY', secretAccessKey: 'bench-local-secret' };
const REGION = 'us-west-2';
const STAGE = 'dev';
const CONNECTIONS = 32;
/** Shipments written under load; each signed request is replayed many times (each 200 stores one item). */
const TRACKING_IDS = Array.from({ length: 32 }, (_, i) => `LOAD-${process.pid}-${i}`);

interface SignedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const signer = new SignatureV4({ service: 'execute-api', region: REGION, credentials: CREDENTIALS, sha256: Sha256 });

async function sign(
  port: number,
  method: SignedRequest['method'],
  pathWithQuery: string,
  body?: string,
): Promise<SignedRequest> {
  const [pathname, search = ''] = pathWithQuery.split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  const headers: Record<string, string> = { host: `127.0.0.1:${port}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: pathname,
    query,
    headers,
    body,
  });
  return { method, path: pathWithQuery, headers: signed.headers as Record<string, string>, body };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Server {
  child: ChildProcess;
  /** Gateway log lines counted by "<METHOD> <path> <status>". */
  answered: Map<string, number>;
}

async function startServer(port: number): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'local', 'start.ts'), '--quiet'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      TAP_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      TAP_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      ENVIRONMENT_SUFFIX: STAGE,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const answered = new Map<string, number>();
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^(GET|POST) (\S+?)(?:\?\S*)? (\d{3}) /.exec(line);
      if (match)
        answered.set(
          `${match[1]} ${match[2]} ${match[3]}`,
          (answered.get(`${match[1]} ${match[2]} ${match[3]}`) ?? 0) + 1,
        );
    }
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`local API exited ${child.exitCode}: ${stderr.trim()}`);
    const up = await fetch(`http://127.0.0.1:${port}/${STAGE}/status`).then(
      (r) => r.status === 403,
      () => false,
    );
    if (up) return { child, answered };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  throw new Error(`local API did not start within 60 s: ${stderr.trim()}`);
}

async function fire(server: Server, port: number, requests: SignedRequest[], seconds: number): Promise<RouteLoad> {
  const key = `${requests[0].method} ${requests[0].path.split('?')[0]} 200`;
  const before = server.answered.get(key) ?? 0;
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    // Signing is async and setupRequest is not: cycle through requests signed beforehand.
    requests: [{ setupRequest: (req) => ({ ...req, ...requests[next++ % requests.length] }) }],
  });
  const ok200 = result.statusCodeStats?.['200']?.count ?? 0;
  // Let the log lines of the requests in flight at the deadline arrive.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    ok200,
    serverOk200: (server.answered.get(key) ?? 0) - before,
    total: result.requests.total,
  };
}

/** Reads a shipment back through the API, page by page, and counts its items. */
async function countItems(port: number, trackingId: string): Promise<number> {
  let count = 0;
  let lastKey: string | undefined;
  do {
    const query = `tracking_id=${encodeURIComponent(trackingId)}&limit=100${lastKey ? `&last_key=${encodeURIComponent(lastKey)}` : ''}`;
    const request = await sign(port, 'GET', `/${STAGE}/status?${query}`);
    const response = await fetch(`http://127.0.0.1:${port}${request.path}`, { headers: request.headers });
    if (response.status === 404) return count;
    if (response.status !== 200) throw new Error(`GET /status answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { count: number; next_key?: string };
    count += page.count;
    lastKey = page.next_key;
  } while (lastKey);
  return count;
}

export async function measureLocalApi(seconds: number): Promise<LoadResult> {
  const port = await freePort();
  const server = await startServer(port);
  try {
    const posts = await Promise.all(
      TRACKING_IDS.map((id, i) =>
        sign(
          port,
          'POST',
          `/${STAGE}/track`,
          JSON.stringify({ tracking_id: id, status: 'in_transit', location: { lat: 40 + i / 100, lng: -74 } }),
        ),
      ),
    );
    const gets = await Promise.all(
      TRACKING_IDS.map((id) => sign(port, 'GET', `/${STAGE}/status?tracking_id=${id}&limit=10`)),
    );
    const post = await fire(server, port, posts, seconds);
    const get = await fire(server, port, gets, seconds);
    let itemsStored = 0;
    for (const id of TRACKING_IDS) itemsStored += await countItems(port, id);
    return { post, get, itemsStored };
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
}
