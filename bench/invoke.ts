/**
 * Runs in a fresh `node` process: loads one bundle and invokes it like Lambda would.
 *   node invoke.mjs cold <bundle> <setup>       -> {"ms": time from process start to the first answer}
 *   node invoke.mjs warm <bundle> <setup> <ms>  -> API: {"post", "status", "shipments"} invocations/s;
 *                                                  consumer: {"batch"} batches of 10 records/s
 *   node invoke.mjs latency <bundle> <setup> <n> <operation>
 *                                               -> {"p50", "p99"}: ms per request of n sequential ones
 * The first answer is a POST /track for the API function, a batch of 10 new records for the
 * consumer. `<setup>` is an InvokeSetup as JSON (requests.ts). Events are built by the local
 * gateway's own builder and contexts by the local runtime's (local/runtime/): one of each in the
 * project. Prints one JSON line on fd 3, so the handler's own logs on stdout never mix with the result.
 *
 * run.ts bundles this file (esbuild) into invoke.mjs next to the bundles and runs it with plain
 * `node`, so that no loader (tsx) is part of a cold start; what it imports is part of it, so it
 * imports nothing heavy.
 */
import { randomBytes } from 'crypto';
import { writeSync } from 'fs';
import { pathToFileURL } from 'url';
import { performance } from 'perf_hooks';
import { contextFields, lambdaContext } from '../local/runtime/context';
import { newTraceId, proxyEvent } from '../local/runtime/proxy-event';
import {
  CONSUMER_BATCH_RECORDS,
  GET_TRACKING_ID,
  POST_BODY,
  SHIPMENTS_PAGE,
  SHIPMENTS_STATUS,
  type InvokeSetup,
} from './requests';
import { streamBatch } from './stream-batch';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
type Operation = 'post' | 'status' | 'shipments' | 'batch';

function apiEvent(setup: InvokeSetup, operation: Exclude<Operation, 'batch'>) {
  const stage = setup.stage;
  if (operation === 'post') {
    return proxyEvent({
      method: 'POST',
      path: '/track',
      body: POST_BODY,
      headers: { 'Content-Type': 'application/json' },
      stage,
    });
  }
  if (operation === 'status') {
    return proxyEvent({ method: 'GET', path: '/status', query: { tracking_id: GET_TRACKING_ID }, stage });
  }
  return proxyEvent({
    method: 'GET',
    path: '/shipments',
    query: { status: SHIPMENTS_STATUS, limit: String(SHIPMENTS_PAGE) },
    stage,
  });
}

let batches = 0;

async function invoke(handler: Handler, setup: InvokeSetup, operation: Operation) {
  const context = lambdaContext(
    contextFields(setup.definition, {
      region: setup.region,
      accountId: setup.accountId,
      logStream: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    }),
    setup.definition.timeoutSeconds * 1000,
  );
  if (operation === 'batch') {
    // As Lambda does per invocation (Active tracing, this batch not sampled), with a trace of its own.
    process.env._X_AMZN_TRACE_ID = `${newTraceId()};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
    const event = streamBatch(`C-${process.pid}-${batches++}`, CONSUMER_BATCH_RECORDS, setup.region, setup.stage);
    const response = (await handler(event, context)) as { batchItemFailures?: unknown[] };
    if (response.batchItemFailures?.length) throw new Error(`batch failed: ${JSON.stringify(response)}`);
    return;
  }
  const event = apiEvent(setup, operation);
  // As Lambda does per invocation (Active tracing, this request not sampled), from the trace API Gateway started.
  const root = event.headers['X-Amzn-Trace-Id'];
  process.env._X_AMZN_TRACE_ID = `${root};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
  const response = (await handler(event, context)) as { statusCode: number; body: string };
  if (response.statusCode !== 200) throw new Error(`${operation} answered ${response.statusCode}: ${response.body}`);
}

async function rate(handler: Handler, setup: InvokeSetup, operation: Operation, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let count = 0;
  while (performance.now() < end) {
    await invoke(handler, setup, operation);
    count++;
  }
  return count / (ms / 1000);
}

const OPERATIONS: Record<InvokeSetup['kind'], Operation[]> = {
  api: ['post', 'status', 'shipments'],
  consumer: ['batch'],
};

async function main() {
  const [mode, bundle, setupJson, duration] = process.argv.slice(2);
  const setup = JSON.parse(setupJson) as InvokeSetup;
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  const operations = OPERATIONS[setup.kind];
  let result: Record<string, number>;
  if (mode === 'cold') {
    const imported = performance.now();
    await invoke(handler, setup, operations[0]);
    result = { ms: performance.now(), imported };
  } else if (mode === 'warm') {
    const ms = Number(duration);
    for (let i = 0; i < 30; i++) await invoke(handler, setup, operations[i % operations.length]);
    result = {};
    for (const operation of operations) result[operation] = await rate(handler, setup, operation, ms);
  } else if (mode === 'latency') {
    const operation = process.argv[6] as Operation;
    for (let i = 0; i < 20; i++) await invoke(handler, setup, operation);
    const samples: number[] = [];
    for (let i = 0; i < Number(duration); i++) {
      const started = performance.now();
      await invoke(handler, setup, operation);
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const at = (p: number) => samples[Math.max(0, Math.ceil(p * samples.length) - 1)];
    result = { p50: at(0.5), p99: at(0.99) };
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
