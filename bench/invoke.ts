/**
 * Runs in its own `node` process: loads one bundle and invokes it like Lambda would.
 *   node invoke.mjs cold <bundle> <setup>   -> {"ms": time from process start to the first answer}
 *   node invoke.mjs serve <bundle> <setup>  -> loads the bundle, then runs the commands it reads from
 *       stdin, one JSON line each, and answers each with one JSON line:
 *         {"warmup": n}                        -> {}: n invocations, the function's operations in turn
 *         {"rate": operation, "ms": ms}        -> {"rate": invocations/s of one operation for ms}
 *         {"latency": operation, "requests": n} -> {"p50", "p99"}: ms per request of n sequential ones
 *       An API function's operations are "post", "status" and "shipments"; the consumer's is
 *       "batch" (batches of 10 records). A serving process stays warm between commands, as a Lambda
 *       execution environment does between invocations, so that the benchmark can alternate short
 *       measurements of several bundles.
 * The first answer is a POST /track for the API function, a batch of 10 new records for the
 * consumer. `<setup>` is an InvokeSetup as JSON (requests.ts). Events are built by the local
 * gateway's own builder and contexts by the local runtime's (local/runtime/): one of each in the
 * project. Results are JSON lines on fd 3, so the handler's own logs on stdout never mix with them.
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
  OPERATIONS,
  type Command,
  type InvokeSetup,
  type Operation,
} from './requests';
import { streamBatch } from './stream-batch';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

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

/** Invocations per second of one operation, run for at least `ms`: the count over the time it really took. */
async function rate(handler: Handler, setup: InvokeSetup, operation: Operation, ms: number): Promise<number> {
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < ms) {
    await invoke(handler, setup, operation);
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

async function latency(handler: Handler, setup: InvokeSetup, operation: Operation, requests: number) {
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    await invoke(handler, setup, operation);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.max(0, Math.ceil(p * samples.length) - 1)];
  return { p50: at(0.5), p99: at(0.99) };
}

async function run(handler: Handler, setup: InvokeSetup, command: Command): Promise<Record<string, number>> {
  const operations: readonly Operation[] = OPERATIONS[setup.kind];
  const known = (operation: Operation) => {
    if (!operations.includes(operation)) throw new Error(`${setup.kind} has no operation ${operation}`);
    return operation;
  };
  if ('warmup' in command) {
    for (let i = 0; i < command.warmup; i++) await invoke(handler, setup, operations[i % operations.length]);
    return {};
  }
  if ('rate' in command) return { rate: await rate(handler, setup, known(command.rate), command.ms) };
  return latency(handler, setup, known(command.latency), command.requests);
}

async function main() {
  const [mode, bundle, setupJson] = process.argv.slice(2);
  const setup = JSON.parse(setupJson) as InvokeSetup;
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  if (mode === 'cold') {
    const imported = performance.now();
    await invoke(handler, setup, OPERATIONS[setup.kind][0]);
    writeSync(3, JSON.stringify({ ms: performance.now(), imported }) + '\n');
    return;
  }
  if (mode !== 'serve') throw new Error(`unknown mode ${mode}`);
  // Loaded here, not at the top: the cold mode's figure includes only what the runner must load.
  const { createInterface } = await import('readline');
  writeSync(3, '{}\n');
  for await (const line of createInterface({ input: process.stdin })) {
    writeSync(3, JSON.stringify(await run(handler, setup, JSON.parse(line) as Command)) + '\n');
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exit(1);
  },
);
