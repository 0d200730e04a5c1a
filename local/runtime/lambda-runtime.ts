/**
 * Runs the shipped bundle (dist/lambda/index.mjs) the way Lambda runs a function: each execution
 * environment is a worker thread with its own process.env (exactly the function's environment: the
 * handler cannot see the local API's), its own module cache, a heap capped at the function's memory;
 * it handles ONE invocation at a time, with the Lambda context object and `_X_AMZN_TRACE_ID` set,
 * its result passed back as JSON. Concurrent requests get more environments (each with its cold
 * start), up to `concurrency`; beyond that they wait for a free one (Lambda would throttle). An
 * invocation past the function timeout fails and its environment is discarded, as Lambda resets it.
 *
 * `start(newBundle)` loads a new bundle in a fresh environment; once it initialises, new invocations use the
 * new bundle and the old environments retire when idle. A new worker is the only reload that never
 * keeps stale modules; a bundle that fails to initialise is refused and the old one keeps serving.
 */
import { pathToFileURL } from 'url';
import { Worker } from 'worker_threads';
import type { FunctionDefinition } from '../../lib/functions';
import { contextFields } from './context';

export interface LambdaRuntimeOptions {
  bundleFile: string;
  /** The export to call (`index.handler` -> `handler`). */
  handlerExport?: string;
  /** The function as its description names it (lib/functions.ts). */
  definition: Pick<FunctionDefinition<unknown>, 'name' | 'memoryMb' | 'timeoutSeconds' | 'logGroup'>;
  region: string;
  accountId: string;
  /** Most execution environments at once; default 8. */
  concurrency?: number;
  env: Record<string, string>;
  /** Everything the function writes to stdout/stderr, line by line (its CloudWatch log). */
  onLog?: (line: string) => void;
}

export type InvokeFailure = { ok: false; errorType: string; errorMessage: string; trace?: string[] };
export type InvokeOutcome = { ok: true; payload: unknown } | InvokeFailure;

interface Pending {
  resolve: (outcome: InvokeOutcome) => void;
  timer: NodeJS.Timeout;
}

const DEFAULT_CONCURRENCY = 8;

// The execution environment: plain JS, evaluated in the worker (no TypeScript loader needed there).
const BOOTSTRAP = `
const { parentPort, workerData } = require('worker_threads');
const init = import(workerData.bundleUrl).then((mod) => {
  const fn = mod[workerData.handlerExport];
  if (typeof fn !== 'function') {
    const error = new Error(workerData.handlerExport + ' is undefined or not exported');
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return fn;
});
init.then(() => parentPort.postMessage({ ready: true }), (error) => parentPort.postMessage({ ready: false, error: serialize(error) }));
function serialize(error) {
  return {
    errorType: (error && error.name) || 'Error',
    errorMessage: String((error && error.message) || error),
    trace: String((error && error.stack) || '').split('\\n'),
  };
}
parentPort.on('message', async ({ id, event, invocation }) => {
  // The plain fields come from local/runtime/context.ts; the methods cannot cross threads.
  const deadline = Date.now() + invocation.timeoutMs;
  const context = {
    ...invocation.context,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {}, fail() {}, succeed() {},
  };
  process.env._X_AMZN_TRACE_ID = invocation.traceId;
  try {
    const fn = await init;
    const result = await fn(event, context);
    parentPort.postMessage({ id, ok: true, payload: JSON.stringify(result === undefined ? null : result) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, ...serialize(error) });
  }
});
`;

class ExecutionEnvironment {
  readonly worker: Worker;
  readonly ready: Promise<InvokeFailure | undefined>;
  readonly pending = new Map<number, Pending>();
  dead = false;
  busy = false;

  constructor(
    bundleFile: string,
    options: LambdaRuntimeOptions,
    readonly version: number,
  ) {
    this.worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: options.env,
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: options.definition.memoryMb },
      workerData: {
        bundleUrl: `${pathToFileURL(bundleFile).href}?v=${version}`,
        handlerExport: options.handlerExport ?? 'handler',
      },
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) options.onLog?.(line);
      });
      stream.on('end', () => buffered && options.onLog?.(buffered));
    }
    this.ready = new Promise((resolve) => {
      const onMessage = (message: { ready?: boolean; error?: InvokeFailure }) => {
        if (message.ready === undefined) return;
        this.worker.off('message', onMessage);
        resolve(message.ready ? undefined : ({ ...message.error, ok: false } as InvokeFailure));
      };
      this.worker.on('message', onMessage);
      this.worker.once('exit', () =>
        resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: 'worker exited during init' }),
      );
    });
    this.worker.on('message', (message: { id?: number; ok?: boolean; payload?: string }) => {
      if (message.id === undefined) return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.settle(
        message.id,
        message.ok ? { ok: true, payload: JSON.parse(message.payload ?? 'null') } : (message as InvokeOutcome),
      );
    });
    const die = (errorType: string, errorMessage: string) => {
      this.dead = true;
      for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, errorType, errorMessage });
    };
    this.worker.on('error', (error) =>
      die(
        (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? 'Runtime.OutOfMemory'
          : 'Runtime.ExitError',
        error.message,
      ),
    );
    this.worker.on('exit', (code) => die('Runtime.ExitError', `RequestId: exited with code ${code}`));
  }

  settle(id: number, outcome: InvokeOutcome) {
    const pending = this.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    pending.resolve(outcome);
  }

  async terminate() {
    this.dead = true;
    await this.worker.terminate();
  }
}

export class LambdaRuntime {
  private bundleFile: string;
  private version = 0;
  private loadedOnce = false;
  private environments: ExecutionEnvironment[] = [];
  private waiting: ((environment: ExecutionEnvironment) => void)[] = [];
  private nextId = 0;
  private closed = false;
  private readonly concurrency: number;

  constructor(private readonly options: LambdaRuntimeOptions) {
    this.bundleFile = options.bundleFile;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  }

  /** Environments alive now (for tests and diagnostics). */
  get environmentCount(): number {
    return this.environments.filter((e) => !e.dead).length;
  }

  /**
   * Loads a bundle in a fresh environment (a warm one, ready for the first request). Resolves with
   * the init error if it fails; a bundle that fails after a good one was loaded is not adopted.
   */
  async start(bundleFile: string = this.bundleFile): Promise<InvokeFailure | undefined> {
    const version = this.version + 1;
    const environment = new ExecutionEnvironment(bundleFile, this.options, version);
    const initError = await environment.ready;
    if (initError && this.loadedOnce) {
      await environment.terminate();
      return initError;
    }
    if (this.closed) {
      await environment.terminate();
      return initError;
    }
    this.loadedOnce ||= !initError;
    this.version = version;
    this.bundleFile = bundleFile;
    this.environments.push(environment);
    // Environments of older bundles retire as soon as they are idle.
    for (const old of this.environments.filter((e) => e.version !== version && !e.busy)) this.discard(old);
    this.handOff();
    return initError;
  }

  private discard(environment: ExecutionEnvironment) {
    this.environments = this.environments.filter((e) => e !== environment);
    void environment.terminate();
  }

  /** Gives idle (or new, within the concurrency) environments to waiting invocations. */
  private handOff() {
    while (this.waiting.length > 0 && !this.closed) {
      let environment = this.environments.find((e) => !e.busy && !e.dead && e.version === this.version);
      if (!environment) {
        if (this.environments.filter((e) => !e.dead).length >= this.concurrency) return;
        environment = new ExecutionEnvironment(this.bundleFile, this.options, this.version);
        this.environments.push(environment);
      }
      environment.busy = true;
      this.waiting.shift()!(environment);
    }
  }

  private acquire(): Promise<ExecutionEnvironment> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.handOff();
    });
  }

  private release(environment: ExecutionEnvironment) {
    environment.busy = false;
    if (environment.dead || environment.version !== this.version) this.discard(environment);
    this.handOff();
  }

  async invoke(event: unknown, invocation: { requestId: string; traceId: string }): Promise<InvokeOutcome> {
    if (this.closed) return { ok: false, errorType: 'Runtime.ExitError', errorMessage: 'runtime closed' };
    const environment = await this.acquire();
    try {
      const initError = await environment.ready;
      if (initError) {
        // A failed init discards the environment; the next invocation tries a fresh one.
        environment.dead = true;
        return initError;
      }
      const id = ++this.nextId;
      const timeoutMs = this.options.definition.timeoutSeconds * 1000;
      const outcome = await new Promise<InvokeOutcome>((resolve) => {
        const timer = setTimeout(() => {
          environment.settle(id, {
            ok: false,
            errorType: 'Sandbox.Timedout',
            errorMessage: `${invocation.requestId} Task timed out after ${this.options.definition.timeoutSeconds.toFixed(2)} seconds`,
          });
          environment.dead = true;
        }, timeoutMs);
        environment.pending.set(id, { resolve, timer });
        environment.worker.postMessage({
          id,
          event,
          invocation: {
            traceId: invocation.traceId,
            timeoutMs,
            context: contextFields(this.options.definition, {
              requestId: invocation.requestId,
              region: this.options.region,
              accountId: this.options.accountId,
              logStream: this.options.env.AWS_LAMBDA_LOG_STREAM_NAME,
            }),
          },
        });
      });
      return outcome;
    } finally {
      this.release(environment);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const environments = this.environments;
    this.environments = [];
    await Promise.all(environments.map((e) => e.terminate()));
  }
}
