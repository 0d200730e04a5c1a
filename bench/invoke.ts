/**
 * Runs in a fresh `node` process: loads one bundle and invokes it like Lambda would.
 *   node invoke.mjs cold <bundle> <setup>         -> {"ms": time from process start to the first POST answered}
 *   node invoke.mjs warm <bundle> <setup> <ms>    -> {"post": invocations/s, "get": invocations/s}
 * `<setup>` is an InvokeSetup as JSON (requests.ts). Events are built by the local gateway's own
 * builder, contexts by the local runtime's (local/runtime/): one of each in the project. Prints one
 * JSON line on fd 3, so the handler's own logs on stdout never mix with the result.
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
import { proxyEvent } from '../local/runtime/proxy-event';
import { GET_TRACKING_ID, POST_BODY, type InvokeSetup } from './requests';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

function request(setup: InvokeSetup, method: 'POST' | 'GET') {
  return method === 'POST'
    ? proxyEvent({
        method,
        path: '/track',
        body: POST_BODY,
        headers: { 'Content-Type': 'application/json' },
        stage: setup.stage,
      })
    : proxyEvent({ method, path: '/status', query: { tracking_id: GET_TRACKING_ID }, stage: setup.stage });
}

async function invoke(handler: Handler, setup: InvokeSetup, method: 'POST' | 'GET') {
  const event = request(setup, method);
  const context = lambdaContext(
    contextFields(setup.definition, {
      region: setup.region,
      accountId: setup.accountId,
      logStream: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    }),
    setup.definition.timeoutSeconds * 1000,
  );
  // As Lambda does per invocation (Active tracing, this request not sampled), from the trace API Gateway started.
  const root = event.headers['X-Amzn-Trace-Id'];
  process.env._X_AMZN_TRACE_ID = `${root};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
  const response = await handler(event, context);
  if (response.statusCode !== 200) throw new Error(`${method} answered ${response.statusCode}: ${response.body}`);
}

async function rate(handler: Handler, setup: InvokeSetup, method: 'POST' | 'GET', ms: number): Promise<number> {
  const end = performance.now() + ms;
  let count = 0;
  while (performance.now() < end) {
    await invoke(handler, setup, method);
    count++;
  }
  return count / (ms / 1000);
}

async function main() {
  const [mode, bundle, setupJson, duration] = process.argv.slice(2);
  const setup = JSON.parse(setupJson) as InvokeSetup;
  const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };
  let result: Record<string, number>;
  if (mode === 'cold') {
    await invoke(handler, setup, 'POST');
    result = { ms: performance.now() };
  } else if (mode === 'warm') {
    const ms = Number(duration);
    for (let i = 0; i < 50; i++) await invoke(handler, setup, i % 2 ? 'GET' : 'POST');
    result = { post: await rate(handler, setup, 'POST', ms), get: await rate(handler, setup, 'GET', ms) };
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
