/**
 * startLocalApi(): the whole tracking API on this machine, no AWS account. Reads the stack's config
 * (Pulumi.yaml defaults + Pulumi.<stack>.yaml, the same resolution and checks as `pulumi up`),
 * starts the local engines (dynalite with the stack's table, SSM with the stack's three parameters,
 * the parking queue), builds and loads the function bundle the stack ships, and serves it behind the
 * API Gateway front on `http://HOST:PORT/<stage>/...`. Used by `npm start`, the e2e suite and the
 * benchmarks.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { parameterNames } from '../lambda/contract';
import { apiSpec } from '../lib/api-spec';
import { BUNDLE_DIR } from '../lib/bundle';
import { resolveStackArgs, type TapStackArgs } from '../lib/config';
import { parameterDefinitions } from '../lib/parameter-definitions';
import { readStackConfigFile } from '../lib/stack-config-file';
import { ensureTrackingTable, startDynamo } from './aws/dynamo';
import { startSqs, type LocalSqs } from './aws/sqs';
import { startSsm, type LocalSsm } from './aws/ssm';
import { LOCAL_ACCOUNT_ID, identityOf, localCredentialFromEnv, type CallerIdentity, type LocalCredential } from './gateway/credentials';
import { buildFunctionBundle, watchSources, type BuiltBundle } from './runtime/function-bundle';
import { functionEnvironment, localSdkEnv } from './runtime/function-env';
import { resourceNames } from '../lib/names';
import { createGatewayHandler } from './gateway/gateway';
import { LambdaRuntime } from './runtime/lambda-runtime';
import { shortId } from './runtime/proxy-event';
import { SigV4Verifier } from './gateway/sigv4';
import { TokenBucket } from './gateway/throttle';

export interface LocalApiOptions {
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 3000; 0 = a free port. */
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
  /** Most function execution environments at once (each serves one request at a time); default 8. */
  concurrency?: number;
  /** Apply the stage's throttling (apiRateLimit / apiBurstLimit); default off. */
  throttle?: boolean;
  /** Accepted SigV4 keys; default one, from TAP_LOCAL_ACCESS_KEY_ID / TAP_LOCAL_SECRET_ACCESS_KEY. */
  credentials?: LocalCredential[];
  /** Where the bundle is written; default dist/lambda (the stack's artifact). */
  bundleDir?: string;
  /** Gateway lines (one per request) and status notes; default console.log. */
  log?: (line: string) => void;
  /** The function's own output (its CloudWatch log); default console.log. */
  functionLog?: (line: string) => void;
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
  queueUrl: string;
  parameterNames: ReturnType<typeof parameterNames>;
  /** Endpoints of the local engines, and the env any SDK client needs to reach them (e.g. `npm run replay`). */
  aws: { dynamodb: string; ssm: string; sqs: string; env: Record<string, string> };
  ssm: LocalSsm;
  sqs: LocalSqs;
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
  const region = String(file.values['aws:region'] ?? 'us-west-2');
  const names = resourceNames(stage);
  const parameters = parameterNames(stage);
  const credentials = options.credentials ?? [localCredentialFromEnv()];

  const cleanup: (() => Promise<unknown> | void)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  };
  try {
    const dynamo = await startDynamo({ dataDir: options.dataDir });
    cleanup.push(() => dynamo.close());
    const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTrackingTable(dynamoClient, names.table);
    dynamoClient.destroy();

    const ssm = await startSsm(
      Object.fromEntries(
        Object.values(parameterDefinitions(args, names.table)).map((p) => [p.name, { value: p.value, type: p.type }]),
      ),
      { region, accountId: LOCAL_ACCOUNT_ID },
    );
    cleanup.push(() => ssm.close());
    const sqs = await startSqs(names.queue, { region, accountId: LOCAL_ACCOUNT_ID });
    cleanup.push(() => sqs.close());
    const endpoints = { dynamodb: dynamo.endpoint, ssm: ssm.endpoint, sqs: sqs.endpoint };

    const bundleDir = options.bundleDir ?? BUNDLE_DIR;
    let bundle = buildFunctionBundle(bundleDir);
    const runtime = new LambdaRuntime({
      bundleFile: bundle.file,
      functionName: names.functionName,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      memoryMb: args.lambdaMemory,
      timeoutSeconds: args.lambdaTimeout,
      concurrency: options.concurrency,
      env: functionEnvironment({ args, region, endpoints, queueUrl: sqs.queueUrl, taskRoot: path.resolve(bundleDir) }),
      onLog: functionLog,
    });
    cleanup.push(() => runtime.close());
    const initError = await runtime.start();
    if (initError) log(`function failed to initialise: ${initError.errorType}: ${initError.errorMessage}`);

    const reload = async () => {
      const started = Date.now();
      try {
        bundle = buildFunctionBundle(bundleDir);
      } catch (error) {
        log(`rebuild failed, still serving the previous bundle:\n${(error as Error).message}`);
        return;
      }
      const failed = await runtime.reload(bundle.file);
      if (failed) log(`reloaded bundle fails to initialise (${failed.errorType}: ${failed.errorMessage}); kept the previous one`);
      else log(`reloaded function (${(bundle.bytes / 1024).toFixed(0)} KiB, sha256 ${bundle.sha256.slice(0, 12)}) in ${Date.now() - started} ms`);
    };
    if (options.watch) cleanup.push(watchSources(reload));

    const spec = apiSpec({ functionName: names.functionName, validatorName: names.requestValidator });
    const gateway = createGatewayHandler({
      spec,
      stage,
      apiId: shortId(names.restApi),
      verifier: new SigV4Verifier({ region, credentials, accountId: LOCAL_ACCOUNT_ID }),
      invoke: (event, invocation) => runtime.invoke(event, invocation),
      throttle: options.throttle ? new TokenBucket(args.apiRateLimit, args.apiBurstLimit) : undefined,
      log,
    });
    const server = http.createServer(gateway);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
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

    return {
      url: `http://${host}:${address.port}/${stage}`,
      stage,
      region,
      credentials: credentials[0],
      identity: identityOf(credentials[0], LOCAL_ACCOUNT_ID),
      args,
      tableName: names.table,
      queueUrl: sqs.queueUrl,
      parameterNames: parameters,
      aws: { ...endpoints, env: localSdkEnv(region, endpoints) },
      ssm,
      sqs,
      get bundle() {
        return bundle;
      },
      reload,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
