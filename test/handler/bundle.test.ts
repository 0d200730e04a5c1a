/**
 * The shipped bytes: the esbuild bundle (lib/bundle.ts, exactly what the stack deploys) run by the
 * local Lambda runtime (a worker thread per execution environment, local/runtime/lambda-runtime.ts)
 * with the function's environment (lib/functions.ts, local/runtime/function-env.ts), endpoints
 * given only through the standard AWS SDK environment variables: the local DynamoDB and SQS, an
 * unreachable SSM.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { decodeParked } from '../../lambda/park';
import { FUNCTION_ENV, IDEMPOTENCY } from '../../lambda/contract';
import { buildFunctionBundle } from '../../local/runtime/function-bundle';
import { functionEnvironment } from '../../local/runtime/function-env';
import { LambdaRuntime } from '../../local/runtime/lambda-runtime';
import { newTraceId } from '../../local/runtime/proxy-event';
import {
  apiEvent,
  getStatusEvent,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type TestAws,
} from '../helpers/handler-harness';

let aws: TestAws;
let bundleDir: string;
let bundleFile: string;
let bundleCode: string;
const runtimes: LambdaRuntime[] = [];

beforeAll(async () => {
  aws = await startTestAws();
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracking-bundle-'));
  bundleFile = buildFunctionBundle(aws.definition, bundleDir).file;
  bundleCode = fs.readFileSync(bundleFile, 'utf8');
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  aws.reset();
});

afterAll(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  await aws?.close();
  if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
});

/** Polls `done` every 10 ms for at most `ms` (log lines come from the worker's stdout, apart from its result). */
async function waitUntil(done: () => boolean, ms = 2000): Promise<void> {
  for (const until = Date.now() + ms; !done() && Date.now() < until;)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Invokes the bundle with `events`, one after the other, in one fresh execution environment. */
async function run(
  events: unknown[],
  env: Record<string, string>,
): Promise<{ results: APIGatewayProxyResult[]; logs: string[] }> {
  const logs: string[] = [];
  const runtime = new LambdaRuntime({
    bundleFile,
    definition: aws.definition,
    region: aws.local.region,
    accountId: aws.local.accountId,
    concurrency: 1,
    env: {
      ...functionEnvironment(aws.definition, aws.local.env, path.dirname(bundleFile)),
      // Nothing listens there: SSM is unreachable, the function must fall back to the defaults.
      AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1',
      ...env,
    },
    onLog: (line) => logs.push(line),
  });
  runtimes.push(runtime);
  const initError = await runtime.start();
  if (initError) throw new Error(`bundle failed to initialise: ${initError.errorType}: ${initError.errorMessage}`);
  const results: APIGatewayProxyResult[] = [];
  for (const event of events) {
    // Unsampled, as the local API invokes it: no X-Ray daemon here.
    const outcome = await runtime.invoke(event, { requestId: randomUUID(), traceId: `${newTraceId()};Sampled=0` });
    if (!outcome.ok) throw new Error(`invocation failed: ${outcome.errorType}: ${outcome.errorMessage}`);
    results.push(outcome.payload as APIGatewayProxyResult);
  }
  return { results, logs };
}

it('contains no Pulumi and nothing from lib/', () => {
  expect(bundleCode).not.toMatch(/@pulumi|pulumi\.runtime/);
  expect(bundleCode).not.toContain('TapStack');
});

it("carries only what the API function imports: no Batch processor, no EventBridge client (the consumer's)", () => {
  for (const marker of ['All records failed processing', 'powertools.batch', 'EventBridgeClient', 'PutEventsCommand'])
    expect({ marker, found: bundleCode.includes(marker) }).toEqual({ marker, found: false });
  for (const marker of ['SSMClient', 'SQSClient', 'Failed to save in progress record', 'instancePath'])
    expect({ marker, found: bundleCode.includes(marker) }).toEqual({ marker, found: true });
});

it('serves POST /track and GET /status from the bundle, falling back to the default settings without SSM', async () => {
  const { results, logs } = await run(
    [
      postTrackEvent(validUpdate('BUNDLE-1'), { requestId: 'bundle-req-1' }),
      getStatusEvent({ tracking_id: 'BUNDLE-1' }),
      apiEvent('GET', '/nope', null, null),
    ],
    {},
  );
  expect(results.map((r) => r.statusCode)).toEqual([200, 200, 404]);
  expect(JSON.parse(results[1].body)).toMatchObject({ tracking_id: 'BUNDLE-1', count: 1 });
  // Defaults (enhanced_tracking on): the request id is stored.
  expect((await aws.itemsOf('BUNDLE-1'))[0].request_id).toBe('bundle-req-1');
  const stdout = () => logs.join('\n');
  await waitUntil(
    () => stdout().includes('"correlation_id":"bundle-req-1"') && stdout().includes('"Namespace":"LogisticsTracking"'),
  );
  expect(stdout()).toContain('"correlation_id":"bundle-req-1"');
  expect(stdout()).toContain('"Namespace":"LogisticsTracking"');
});

it('parks on the queue through the lazily loaded SQS client when DynamoDB refuses the write', async () => {
  aws.queue.purge();
  const { results } = await run([postTrackEvent(validUpdate('BUNDLE-2'))], {
    [FUNCTION_ENV.tableName]: 'no-such-table',
  });
  expect(results[0].statusCode).toBe(202);
  const parked = aws.queue.messages();
  expect(parked).toHaveLength(1);
  expect(decodeParked(parked[0].body)).toMatchObject({ tracking_id: 'BUNDLE-2', status: 'in_transit' });
});

it('answers a repeated Idempotency-Key with the first answer, marked replayed, storing the update once', async () => {
  const keyed = { headers: { 'Content-Type': 'application/json', [IDEMPOTENCY.header]: 'bundle-key-1' } };
  const { results } = await run(
    [
      postTrackEvent(validUpdate('BUNDLE-3')),
      postTrackEvent(validUpdate('BUNDLE-4'), keyed),
      postTrackEvent(validUpdate('BUNDLE-4'), keyed),
    ],
    {},
  );
  expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
  expect(results.map((r) => r.headers?.[IDEMPOTENCY.replayedHeader])).toEqual([undefined, undefined, 'true']);
  expect(JSON.parse(results[2].body)).toEqual(JSON.parse(results[1].body));
  expect(await aws.itemsOf('BUNDLE-4')).toHaveLength(1);
});
