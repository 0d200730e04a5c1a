/**
 * X-Ray as Lambda runs it, on the shipped bundle: a fresh `node` process with Lambda's environment
 * (Active tracing: a trace header per invocation) and an X-Ray daemon stand-in on UDP. A sampled
 * invocation sends its `## index.handler` subsegment with the ColdStart, Service and tracking_id
 * annotations and the captured DynamoDB call; an unsampled one sends nothing.
 */
import { createSocket, type Socket } from 'dgram';
import * as fs from 'fs';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { BUNDLE_FILE, buildBundle } from '../../lib/bundle';
import { runBundle } from '../helpers/handler-bundle-runner';
import { getStatusEvent, postTrackEvent, startTestDynamo, validUpdate, type TestDynamo } from '../helpers/handler-harness';

let dynamo: TestDynamo;
let bundleFile: string;
let daemon: Socket;
let daemonAddress: string;
let received: Record<string, unknown>[] = [];

beforeAll(async () => {
  dynamo = await startTestDynamo();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracking-tracing-'));
  bundleFile = path.join(dir, BUNDLE_FILE);
  fs.writeFileSync(bundleFile, buildBundle().code);
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    // `{"format":"json","version":1}\n{...segment document...}`
    const [, document] = message.toString('utf8').split('\n');
    if (document) received.push(JSON.parse(document) as Record<string, unknown>);
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  daemonAddress = `127.0.0.1:${(daemon.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await dynamo.close();
  await new Promise<void>((resolve) => daemon.close(() => resolve()));
  fs.rmSync(path.dirname(bundleFile), { recursive: true, force: true });
});


function traceHeader(n: number, sampled: boolean) {
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${String(n).padStart(24, '0')}`;
  return { root, header: `Root=${root};Parent=${String(n).padStart(16, '0')};Sampled=${sampled ? 1 : 0}` };
}

async function runLambda(invocations: { event: unknown; traceHeader: string }[]): Promise<number[]> {
  const { results } = await runBundle(bundleFile, invocations, {
    ...dynamo.env,
    AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: 'tracking-api-test',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: path.dirname(bundleFile),
    AWS_XRAY_DAEMON_ADDRESS: daemonAddress,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  });
  return results.map((r) => r.statusCode);
}

type Doc = { id?: string; parent_id?: string; namespace?: string; name?: string; trace_id?: string; annotations?: Record<string, unknown>; subsegments?: Doc[] };

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
  for (let i = 0; i < 50 && !documentsOf(traceId).some((d) => d.name === name); i++) await new Promise((r) => setTimeout(r, 20));
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
  expect(thirdDocs.find((d) => d.name === '## index.handler')?.annotations).toEqual({ ColdStart: false, Service: 'tracking-api', tracking_id: 'TRACE-1' });

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
  expect(docs.find((d) => d.name === '## index.handler')?.annotations).toMatchObject({ ColdStart: false, tracking_id: 'TRACE-4' });
});
