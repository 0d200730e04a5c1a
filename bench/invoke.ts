/**
 * Runs in a fresh `node` process: loads one bundle and invokes it like Lambda would.
 *   node invoke.mjs cold <bundle>         -> {"ms": time from process start to the first POST answered}
 *   node invoke.mjs warm <bundle> <ms>    -> {"post": invocations/s, "get": invocations/s}
 * Prints one JSON line on fd 3, so the handler's own logs on stdout never mix with the result.
 */
import { writeSync } from 'fs';
import { pathToFileURL } from 'url';
import { performance } from 'perf_hooks';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

let sequence = 0;
const context = () => ({
  functionName: 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-west-2:123456789012:function:bench',
  memoryLimitInMB: '512',
  awsRequestId: `req-${++sequence}`,
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

function event(method: 'POST' | 'GET') {
  const requestId = `api-${sequence}`;
  const post = method === 'POST';
  return {
    resource: post ? '/track' : '/status',
    path: post ? '/track' : '/status',
    httpMethod: method,
    headers: post ? { 'Content-Type': 'application/json' } : {},
    multiValueHeaders: {},
    queryStringParameters: post ? null : { tracking_id: 'BENCH-1' },
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    body: post ? JSON.stringify({ tracking_id: 'BENCH-1', status: 'in_transit', location: { lat: 47.6, lng: -122.3 } }) : null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      stage: 'bench',
      requestId,
      httpMethod: method,
      path: `/bench${post ? '/track' : '/status'}`,
      resourcePath: post ? '/track' : '/status',
      identity: { userArn: 'arn:aws:iam::123456789012:user/bench', caller: 'AIDABENCH', sourceIp: '127.0.0.1' },
    },
  };
}

async function invoke(handler: Handler, method: 'POST' | 'GET') {
  // As Lambda does per invocation (Active tracing, this request not sampled).
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${sequence.toString(16).padStart(24, '0')};Parent=${sequence.toString(16).padStart(16, '0')};Sampled=0`;
  const response = await handler(event(method), context());
  if (response.statusCode !== 200) throw new Error(`${method} answered ${response.statusCode}: ${response.body}`);
}

async function rate(handler: Handler, method: 'POST' | 'GET', ms: number): Promise<number> {
  const end = performance.now() + ms;
  let count = 0;
  while (performance.now() < end) {
    await invoke(handler, method);
    count++;
  }
  return count / (ms / 1000);
}

async function main() {
  const [mode, bundle, duration] = process.argv.slice(2);
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  let result: Record<string, number>;
  if (mode === 'cold') {
    await invoke(handler, 'POST');
    result = { ms: performance.now() };
  } else if (mode === 'warm') {
    const ms = Number(duration);
    for (let i = 0; i < 50; i++) await invoke(handler, i % 2 ? 'GET' : 'POST');
    result = { post: await rate(handler, 'POST', ms), get: await rate(handler, 'GET', ms) };
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  writeSync(3, JSON.stringify(result) + '\n');
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  },
);
