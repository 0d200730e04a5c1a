/**
 * X-Ray as Lambda runs it, on the shipped bundle: a fresh execution environment of the local Lambda
 * runtime (a worker thread, local/runtime/lambda-runtime.ts) with the function's environment as
 * Lambda gives it (local/runtime/function-env.ts; Active tracing: a trace header per invocation)
 * and an X-Ray daemon stand-in on UDP. A sampled invocation sends its `## index.handler` subsegment
 * with the ColdStart, Service and tracking_id annotations and the captured DynamoDB call; an
 * unsampled one sends nothing.
 *
 * The runtime invokes from callbacks it set up before the function's module was loaded, as Lambda's
 * does: the context X-Ray enters at init must still reach every invocation (lambda/xray-async-context.ts).
 */
import { randomUUID } from 'crypto';
import { createSocket, type Socket } from 'dgram';
import * as fs from 'fs';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { buildFunctionBundle } from '../../local/runtime/function-bundle';
import { functionEnvironment } from '../../local/runtime/function-env';
import { LambdaRuntime } from '../../local/runtime/lambda-runtime';
import { getStatusEvent, postTrackEvent, startTestAws, validUpdate, type TestAws } from '../helpers/handler-harness';

let aws: TestAws;
let bundleDir: string;
let bundleFile: string;
let daemon: Socket | undefined;
let daemonAddress: string;
let received: Record<string, unknown>[] = [];
const runtimes: LambdaRuntime[] = [];

beforeAll(async () => {
  aws = await startTestAws();
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracking-tracing-'));
  bundleFile = buildFunctionBundle(aws.definition, bundleDir).file;
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    // `{"format":"json","version":1}\n{...segment document...}`
    const [, document] = message.toString('utf8').split('\n');
    if (document) received.push(JSON.parse(document) as Record<string, unknown>);
  });
  await new Promise<void>((resolve) => daemon!.bind(0, '127.0.0.1', resolve));
  daemonAddress = `127.0.0.1:${(daemon.address() as AddressInfo).port}`;
});

// After each test (which waited for the documents it checks): its execution environments end.
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  aws.reset();
});

afterAll(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
  await aws?.close();
  if (daemon) await new Promise<void>((resolve) => daemon!.close(() => resolve()));
  if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
});

function traceHeader(n: number, sampled: boolean) {
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${String(n).padStart(24, '0')}`;
  return { root, header: `Root=${root};Parent=${String(n).padStart(16, '0')};Sampled=${sampled ? 1 : 0}` };
}

/** Runs the invocations one after the other in one fresh execution environment (one cold start). */
async function runLambda(invocations: { event: unknown; traceHeader: string }[]): Promise<number[]> {
  const runtime = new LambdaRuntime({
    bundleFile,
    definition: aws.definition,
    region: aws.local.region,
    accountId: aws.local.accountId,
    concurrency: 1,
    env: {
      ...functionEnvironment(aws.definition, aws.local.env, path.dirname(bundleFile)),
      AWS_XRAY_DAEMON_ADDRESS: daemonAddress,
    },
  });
  // Kept open until the test ends: X-Ray's UDP sends are fire-and-forget, the worker must outlive them.
  runtimes.push(runtime);
  const initError = await runtime.start();
  if (initError) throw new Error(`bundle failed to initialise: ${initError.errorType}: ${initError.errorMessage}`);
  const statuses: number[] = [];
  for (const invocation of invocations) {
    // Lambda's runtime sets _X_AMZN_TRACE_ID to the invocation's trace header.
    const outcome = await runtime.invoke(invocation.event, {
      requestId: randomUUID(),
      traceId: invocation.traceHeader,
    });
    if (!outcome.ok) throw new Error(`invocation failed: ${outcome.errorType}: ${outcome.errorMessage}`);
    statuses.push((outcome.payload as APIGatewayProxyResult).statusCode);
  }
  return statuses;
}

type Doc = {
  id?: string;
  parent_id?: string;
  namespace?: string;
  name?: string;
  trace_id?: string;
  annotations?: Record<string, unknown>;
  subsegments?: Doc[];
};

/** Every (sub)segment document received for a trace, nested ones included. */
function documentsOf(traceId: string): Doc[] {
  const all: Doc[] = [];
  const walk = (doc: Doc, trace: string | undefined) => {
    if ((doc.trace_id ?? trace) === traceId) all.push(doc);
    for (const child of doc.subsegments ?? []) walk(child, doc.trace_id ?? trace);
  };
  for (const doc of received as Doc[]) walk(doc, undefined);
  return all;
}

async function waitForDocuments(traceId: string, name: string): Promise<Doc[]> {
  for (let i = 0; i < 50 && !documentsOf(traceId).some((d) => d.name === name); i++)
    await new Promise((r) => setTimeout(r, 20));
  return documentsOf(traceId);
}

beforeEach(() => {
  received = [];
});

it('sends the handler subsegment of a sampled invocation with its annotations and the DynamoDB call; nothing for an unsampled one', async () => {
  const first = traceHeader(1, true);
  const unsampled = traceHeader(2, false);
  const third = traceHeader(3, true);
  const statuses = await runLambda([
    { event: postTrackEvent(validUpdate('TRACE-1')), traceHeader: first.header },
    { event: postTrackEvent(validUpdate('TRACE-2')), traceHeader: unsampled.header },
    { event: getStatusEvent({ tracking_id: 'TRACE-1' }), traceHeader: third.header },
  ]);
  expect(statuses).toEqual([200, 200, 200]);

  const firstDocs = await waitForDocuments(first.root, '## index.handler');
  const handlerDoc = firstDocs.find((d) => d.name === '## index.handler');
  expect(handlerDoc?.annotations).toEqual({ ColdStart: true, Service: 'tracking-api', tracking_id: 'TRACE-1' });
  expect(firstDocs.map((d) => d.name)).toContain('DynamoDB');
  // Every AWS call of the invocation is a child of its handler subsegment (the context followed it).
  const awsCalls = firstDocs.filter((d) => d.namespace === 'aws');
  expect(awsCalls.map((d) => d.name).sort()).toEqual(['DynamoDB', 'SSM', 'SSM']);
  for (const call of awsCalls) expect(call.parent_id).toBe(handlerDoc?.id);

  const thirdDocs = await waitForDocuments(third.root, '## index.handler');
  expect(thirdDocs.find((d) => d.name === '## index.handler')?.annotations).toEqual({
    ColdStart: false,
    Service: 'tracking-api',
    tracking_id: 'TRACE-1',
  });

  expect(documentsOf(unsampled.root)).toEqual([]);
});

it('takes the cold start on the first invocation even when that one is not sampled', async () => {
  const unsampled = traceHeader(4, false);
  const sampled = traceHeader(5, true);
  await runLambda([
    { event: postTrackEvent(validUpdate('TRACE-3')), traceHeader: unsampled.header },
    { event: postTrackEvent(validUpdate('TRACE-4')), traceHeader: sampled.header },
  ]);
  const docs = await waitForDocuments(sampled.root, '## index.handler');
  expect(docs.find((d) => d.name === '## index.handler')?.annotations).toMatchObject({
    ColdStart: false,
    tracking_id: 'TRACE-4',
  });
});
