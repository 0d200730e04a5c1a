/**
 * startLocalApi(): the whole tracking API on this machine, no AWS account. Reads the stack's config
 * (Pulumi.yaml defaults + Pulumi.<stack>.yaml, the same resolution and checks as `pulumi up`),
 * starts the local engines (dynalite with the stack's table, SSM with the stack's three parameters,
 * the parking queue, the event bus), builds and loads the function bundle the stack ships, and serves
 * it behind the API Gateway front on `http://HOST:PORT/<stage>/...`. Used by `npm start`, the e2e
 * suite and the benchmarks. It also serves the API's OpenAPI document at `/<stage>/openapi.json`,
 * without auth (local only), built at start so it is always the current one, naming this server.
 *
 * The events the stream consumer puts on the stack's bus are kept in memory (`events()`), and, when
 * asked, appended to a JSON-lines file (`eventsFile`) and POSTed to a webhook (`webhook`) as the
 * stack's API destination would deliver them.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STREAM_FILTER_PATTERN, parameterNames } from '../lambda/contract';
import { apiSpec } from '../lib/api-spec';
import { BUNDLE_DIR } from '../lib/bundle';
import { resolveStackArgs, type TapStackArgs } from '../lib/config';
import type { FunctionDefinition } from '../lib/functions';
import { resourceNames, type FunctionKey } from '../lib/names';
import { openApiDocument } from '../lib/openapi';
import { readStackConfigFile, type StackConfigFile } from '../lib/stack-config-file';
import type { LocalAws } from './aws';
import type { LocalEvent } from './aws/eventbridge';
import { startEventSinks, type LocalEventSinks } from './event-sinks';
import { identityOf, localCredentialFromEnv, type CallerIdentity, type LocalCredential } from './gateway/credentials';
import { createGatewayHandler } from './gateway/gateway';
import { SigV4Verifier } from './gateway/sigv4';
import { TokenBucket } from './gateway/throttle';
import { buildFunctionBundle, watchSources, type BuiltBundle } from './runtime/function-bundle';
import { functionEnvironment, localAccessKeyId } from './runtime/function-env';
import { LambdaRuntime } from './runtime/lambda-runtime';
import {
  sqsFailureDestination,
  startEventSourceMapping,
  type EventSourceMapping,
} from './runtime/event-source-mapping';
import { shortId } from './runtime/proxy-event';
import { startStackAws } from './stack-aws';

/** The port the local API listens on unless told otherwise (the OpenAPI document's local server default). */
export const DEFAULT_PORT = 3000;
/** Where the document is served, under the stage. */
/**
 * One execution environment per core, at most 8: each is a thread, and more threads than cores add
 * no throughput here, only contention (the stream consumer's thread competes with them, and the
 * projection falls behind under load).
 */
const LOCAL_CONCURRENCY = Math.min(8, os.availableParallelism());

export const OPENAPI_DOCUMENT_PATH = '/openapi.json';

/** The region a stack's config sets for the AWS provider (us-west-2 when it sets none). */
export function stackRegion(file: StackConfigFile): string {
  return String(file.values['aws:region'] ?? 'us-west-2');
}

export interface LocalApiOptions {
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default DEFAULT_PORT; 0 = a free port. */
  port?: number;
  /** Which Pulumi.<stack>.yaml to read; default `dev`. */
  stack?: string;
  /** The environment suffix, hence the stage name and every resource name (like ENVIRONMENT_SUFFIX). */
  stage?: string;
  /** Stack config overrides, by key without `tap:` (e.g. `{ batchProcessing: false }`). */
  config?: Record<string, unknown>;
  /** Persist the DynamoDB data here (default: in memory). */
  dataDir?: string;
  /** Rebuild and reload the function when lambda/ changes. */
  watch?: boolean;
  /** Most function execution environments at once (each serves one request at a time); default LOCAL_CONCURRENCY. */
  concurrency?: number;
  /** Apply the stage's throttling (apiRateLimit / apiBurstLimit); default off. */
  throttle?: boolean;
  /** Accepted SigV4 keys; default one, from TAP_LOCAL_ACCESS_KEY_ID / TAP_LOCAL_SECRET_ACCESS_KEY. */
  credentials?: LocalCredential[];
  /** Where the bundle is written; default dist/lambda (the stack's artifact). */
  bundleDir?: string;
  /** Gateway lines (one per request) and status notes; default console.log. */
  log?: (line: string) => void;
  /** The functions' own output (their CloudWatch logs), line by line; default console.log. */
  functionLog?: (line: string, fn: FunctionKey) => void;
  /** Faults to inject into the local AWS services, each `service:Operation=Error[@rate][#count][+ms]` (see local/aws/faults.ts). */
  faults?: string[];
  /**
   * Append every event the stack's bus accepts to this file, one JSON line each:
   * `{"Time", "Source", "DetailType", "EventBusName", "Detail"}` (Detail as JSON, not a string).
   * Its directory is created; the file is appended to, never truncated.
   */
  eventsFile?: string;
  /**
   * POST every event's detail to this http(s) URL, as the stack's API destination does (the rule
   * target's InputPath is `$.detail`), with the auth header `tap:webhookAuthHeader` (default
   * X-Webhook-Secret) set to $TAP_LOCAL_WEBHOOK_SECRET when that is set. A failed delivery is
   * logged and retried a few times with backoff; it never fails the API.
   */
  webhook?: string;
}

export interface LocalApi {
  /** `http://host:port/<stage>`: the stage invoke URL, as the stack's `api_endpoint` output. */
  url: string;
  stage: string;
  region: string;
  /** The first accepted key (what to sign with). */
  credentials: LocalCredential;
  identity: CallerIdentity;
  args: TapStackArgs;
  tableName: string;
  /** The table of `Idempotency-Key` records. */
  idempotencyTableName: string;
  queueUrl: string;
  parameterNames: ReturnType<typeof parameterNames>;
  /** The local AWS services: endpoints, SDK env (e.g. for `npm run replay`), faults, the call record. */
  aws: LocalAws;
  /** The API function as the local runtime runs it. */
  definition: FunctionDefinition<string>;
  /** Every function of the stack as the local runtime runs it. */
  definitions: Record<FunctionKey, FunctionDefinition<string>>;
  /** The table's stream into the consumer (`idle()` resolves once every record so far is projected). */
  mapping: EventSourceMapping;
  /** Where the mapping sends records the consumer keeps failing on. */
  failureQueueUrl: string;
  /** The stack's event bus (status-change events, with the real_time_notifications flag on). */
  eventBusName: string;
  /** Where accepted events go besides memory: the events file and the webhook. */
  eventSinks: LocalEventSinks;
  /** Every event the stack's bus accepted, oldest first. */
  events(): LocalEvent[];
  /** Resolves once every webhook delivery begun so far has succeeded or given up (at once without a webhook). */
  webhookIdle(): Promise<void>;
  bundle: BuiltBundle;
  /** Rebuilds the bundle and swaps the function to it. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalApi(options: LocalApiOptions = {}): Promise<LocalApi> {
  const log = options.log ?? ((line: string) => console.log(line));
  const functionLog = options.functionLog ?? ((line: string) => console.log(line));
  const file = readStackConfigFile(options.stack ?? 'dev');
  const overrides = options.config ?? {};
  const read = (key: string) => (key in overrides ? overrides[key] : file.read(key));
  const env = options.stage ? { ...process.env, ENVIRONMENT_SUFFIX: options.stage } : process.env;
  const args = resolveStackArgs(read, env);
  const stage = args.environmentSuffix;
  const region = stackRegion(file);
  const names = resourceNames(stage);
  const parameters = parameterNames(stage);
  const credentials = options.credentials ?? [localCredentialFromEnv()];

  const cleanup: (() => Promise<unknown> | void)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  };
  try {
    const sinks = startEventSinks({
      bus: names.eventBus,
      file: options.eventsFile,
      webhook: options.webhook,
      authHeaderName: args.webhook?.authHeaderName ?? 'X-Webhook-Secret',
      secret: process.env.TAP_LOCAL_WEBHOOK_SECRET,
      log,
    });
    cleanup.push(() => sinks.close());
    const { aws, queueUrl, failureQueueUrl, definitions } = await startStackAws(args, {
      region,
      dataDir: options.dataDir,
      faults: options.faults,
      onEvent: (event) => sinks.deliver(event),
    });
    cleanup.push(() => aws.close());
    const bundleDir = options.bundleDir ?? BUNDLE_DIR;

    /** One function as Lambda would run it: its bundle in execution environments; `reload` rebuilds it. */
    const startFunction = async (key: FunctionKey) => {
      const definition = definitions[key];
      let bundle = buildFunctionBundle(definition, bundleDir);
      const runtime = new LambdaRuntime({
        bundleFile: bundle.file,
        definition,
        region,
        accountId: aws.accountId,
        concurrency: options.concurrency ?? LOCAL_CONCURRENCY,
        env: functionEnvironment(definition, aws.env, path.resolve(path.dirname(bundle.file))),
        onLog: (line) => functionLog(line, key),
      });
      cleanup.push(() => runtime.close());
      const initError = await runtime.start();
      if (initError) log(`${definition.name} failed to initialise: ${initError.errorType}: ${initError.errorMessage}`);
      const reload = async () => {
        const started = Date.now();
        try {
          bundle = buildFunctionBundle(definition, bundleDir);
        } catch (error) {
          log(`rebuild of ${definition.name} failed, still serving the previous bundle:\n${(error as Error).message}`);
          return;
        }
        const failed = await runtime.start(bundle.file);
        if (failed)
          log(
            `reloaded ${definition.name} fails to initialise (${failed.errorType}: ${failed.errorMessage}); kept the previous one`,
          );
        else
          log(
            `reloaded ${definition.name} (${(bundle.bytes / 1024).toFixed(0)} KiB, sha256 ${bundle.sha256.slice(0, 12)}) in ${Date.now() - started} ms`,
          );
      };
      return { definition, runtime, reload, bundle: () => bundle };
    };
    const api = await startFunction('api');
    const consumer = await startFunction('consumer');

    // The table's stream into the consumer, with the stack's mapping settings and filter. Lambda
    // sends the failure records with the consumer's role: its client signs as the consumer.
    const failureSqs = new SQSClient({
      ...aws.env,
      region,
      endpoint: aws.endpoints.sqs,
      credentials: { accessKeyId: localAccessKeyId(consumer.definition), secretAccessKey: 'local' },
    });
    const mapping = startEventSourceMapping({
      stream: aws.streams(names.table),
      filter: STREAM_FILTER_PATTERN,
      settings: args.stream,
      invoke: (event, invocation) => consumer.runtime.invoke(event, invocation),
      onFailure: sqsFailureDestination(failureSqs, failureQueueUrl),
      functionArn: `arn:aws:lambda:${region}:${aws.accountId}:function:${consumer.definition.name}`,
      log,
    });
    cleanup.push(async () => {
      await mapping.stop();
      failureSqs.destroy();
    });

    const reload = async () => {
      await api.reload();
      await consumer.reload();
    };
    if (options.watch) cleanup.push(watchSources(reload));
    const definition = api.definition;
    const runtime = api.runtime;

    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1', () => resolve());
    });
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

    // Built once listening, so the document's local server names the port actually taken; no
    // request is read before this listener is attached (requests are parsed in later turns).
    const spec = apiSpec({ functionName: definition.name, validatorName: names.requestValidator });
    const document = openApiDocument({ stage, region, localPort: address.port });
    server.on(
      'request',
      createGatewayHandler({
        spec,
        stage,
        apiId: shortId(names.restApi),
        verifier: new SigV4Verifier({ region, credentials, accountId: aws.accountId }),
        invoke: (event, invocation) => runtime.invoke(event, invocation),
        throttle: options.throttle ? new TokenBucket(args.apiRateLimit, args.apiBurstLimit) : undefined,
        log,
        documents: { [OPENAPI_DOCUMENT_PATH]: JSON.stringify(document) },
      }),
    );

    return {
      url: `http://${host}:${address.port}/${stage}`,
      stage,
      region,
      credentials: credentials[0],
      identity: identityOf(credentials[0], aws.accountId),
      args,
      tableName: names.table,
      idempotencyTableName: names.idempotencyTable,
      queueUrl,
      parameterNames: parameters,
      aws,
      definition,
      get bundle() {
        return api.bundle();
      },
      mapping,
      failureQueueUrl,
      eventBusName: names.eventBus,
      eventSinks: sinks.where,
      events: () => aws.eventbridge.events(),
      webhookIdle: () => sinks.idle(),
      definitions,
      reload,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
