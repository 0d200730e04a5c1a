/** The local Lambda execution environment (a worker thread) on small hand-written bundles. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LambdaRuntime, type LambdaRuntimeOptions } from '../../local/runtime/lambda-runtime';

describe('LambdaRuntime', () => {
  let dir: string;
  const runtimes: LambdaRuntime[] = [];
  const logs: string[] = [];

  const bundle = (name: string, code: string) => {
    const file = path.join(dir, name, 'index.mjs');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, code);
    return file;
  };
  const runtime = (bundleFile: string, extra: Partial<LambdaRuntimeOptions> & { timeoutSeconds?: number } = {}) => {
    const { timeoutSeconds = 2, ...options } = extra;
    const r = new LambdaRuntime({
      bundleFile,
      definition: {
        name: 'tracking-api-test',
        memoryMb: 256,
        timeoutSeconds,
        logGroup: '/aws/lambda/tracking-api-test',
      },
      region: 'us-west-2',
      accountId: '123456789012',
      env: { ONLY_THIS: 'yes', AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/tracking-api-test' },
      onLog: (line) => logs.push(line),
      ...options,
    });
    runtimes.push(r);
    return r;
  };
  const invocation = { requestId: 'req-1', traceId: 'Root=1-00000000-000000000000000000000000;Sampled=0' };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-runtime-'));
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the handler with only the function environment and a Lambda context', async () => {
    process.env.PARENT_SECRET = 'must-not-leak';
    const file = bundle(
      'context',
      `export const handler = async (event, context) => {
        console.log('hello from the function');
        return {
          event,
          env: { only: process.env.ONLY_THIS, parent: process.env.PARENT_SECRET ?? null, trace: process.env._X_AMZN_TRACE_ID },
          context: { id: context.awsRequestId, name: context.functionName, arn: context.invokedFunctionArn,
            memory: context.memoryLimitInMB, group: context.logGroupName, remaining: context.getRemainingTimeInMillis() },
          dropped: undefined,
          when: new Date(0),
        };
      };`,
    );
    const outcome = await runtime(file).invoke({ a: 1 }, invocation);
    delete process.env.PARENT_SECRET;
    expect(outcome).toEqual({
      ok: true,
      payload: {
        event: { a: 1 },
        env: { only: 'yes', parent: null, trace: invocation.traceId },
        context: {
          id: 'req-1',
          name: 'tracking-api-test',
          arn: 'arn:aws:lambda:us-west-2:123456789012:function:tracking-api-test',
          memory: '256',
          group: '/aws/lambda/tracking-api-test',
          remaining: expect.any(Number),
        },
        // The result crosses as JSON, as through Lambda: undefined dropped, Date as a string.
        when: '1970-01-01T00:00:00.000Z',
      },
    });
    const remaining = (outcome as { payload: { context: { remaining: number } } }).payload.context.remaining;
    expect(remaining).toBeGreaterThan(1000);
    expect(remaining).toBeLessThanOrEqual(2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(logs).toContain('hello from the function');
  });

  it('reports a thrown error, an init error and a missing export as failures', async () => {
    const throws = bundle(
      'throws',
      `export const handler = async () => { const e = new Error('boom'); e.name = 'BoomError'; throw e; };`,
    );
    expect(await runtime(throws).invoke({}, invocation)).toMatchObject({
      ok: false,
      errorType: 'BoomError',
      errorMessage: 'boom',
    });

    const initFails = bundle('init', `throw new Error('cannot init');\nexport const handler = async () => 1;`);
    const r = runtime(initFails);
    expect(await r.start()).toMatchObject({ ok: false, errorMessage: 'cannot init' });
    expect(await r.invoke({}, invocation)).toMatchObject({ ok: false, errorMessage: 'cannot init' });

    const noExport = bundle('noexport', `export const other = async () => 1;`);
    expect(await runtime(noExport).invoke({}, invocation)).toMatchObject({
      ok: false,
      errorType: 'Runtime.HandlerNotFound',
    });
  });

  it('times out an invocation after the function timeout', async () => {
    const slow = bundle('slow', `export const handler = () => new Promise((r) => setTimeout(() => r('late'), 5000));`);
    const started = Date.now();
    const outcome = await runtime(slow, { timeoutSeconds: 1 }).invoke({}, invocation);
    expect(outcome).toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: 'req-1 Task timed out after 1.00 seconds',
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('replaces an environment whose process exited', async () => {
    const exits = bundle(
      'exits',
      `export const handler = async (e) => { if (e.exit) process.exit(3); return 'alive'; };`,
    );
    const r = runtime(exits);
    expect(await r.invoke({ exit: true }, invocation)).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    expect(await r.invoke({}, invocation)).toEqual({ ok: true, payload: 'alive' });
  });

  it('reloads onto a new bundle, and keeps the old one when the new one cannot load', async () => {
    const v1 = bundle('v1', `export const handler = async () => 'v1';`);
    const r = runtime(v1);
    expect(await r.invoke({}, invocation)).toEqual({ ok: true, payload: 'v1' });
    expect(await r.start(bundle('v2', `export const handler = async () => 'v2';`))).toBeUndefined();
    expect(await r.invoke({}, invocation)).toEqual({ ok: true, payload: 'v2' });
    expect(await r.start(bundle('broken', `export const handler = async () => { syntax error`))).toMatchObject({
      ok: false,
    });
    expect(await r.invoke({}, invocation)).toEqual({ ok: true, payload: 'v2' });
  });

  it('gives each environment one invocation at a time, adds environments up to the concurrency, queues beyond', async () => {
    const file = bundle(
      'concurrency',
      `let inFlight = 0; const id = Math.random();
       export const handler = async () => { inFlight++; const seen = inFlight; await new Promise((r) => setTimeout(r, 100)); inFlight--; return { seen, id }; };`,
    );
    const r = runtime(file, { concurrency: 3 });
    const started = Date.now();
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => r.invoke({}, invocation)));
    const payloads = outcomes.map((o) => (o as { payload: { seen: number; id: number } }).payload);
    expect(payloads.every((p) => p.seen === 1)).toBe(true);
    expect(new Set(payloads.map((p) => p.id)).size).toBe(3);
    expect(r.environmentCount).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('discards the environment of a timed-out invocation', async () => {
    const file = bundle(
      'stuck',
      `const id = Math.random(); export const handler = async (e) => e.hang ? new Promise(() => {}) : id;`,
    );
    const r = runtime(file, { timeoutSeconds: 1, concurrency: 1 });
    const first = await r.invoke({}, invocation);
    expect(await r.invoke({ hang: true }, invocation)).toMatchObject({ errorType: 'Sandbox.Timedout' });
    const after = await r.invoke({}, invocation);
    expect(after.ok && first.ok && after.payload !== first.payload).toBe(true);
  });

  it('re-imports the same file path on reload (no stale module cache)', async () => {
    const file = bundle('same', `export const handler = async () => 'first';`);
    const r = runtime(file);
    expect(await r.invoke({}, invocation)).toEqual({ ok: true, payload: 'first' });
    fs.writeFileSync(file, `export const handler = async () => 'second';`);
    await r.start(file);
    expect(await r.invoke({}, invocation)).toEqual({ ok: true, payload: 'second' });
  });
});
