/**
 * Offline synth: runs the real program (index.ts) under Pulumi mocks with a stack's config
 * (Pulumi.yaml defaults + Pulumi.<stack>.yaml) and reports every resource with its resolved inputs.
 * Review an infrastructure change without AWS credentials; the infra tests use the same harness.
 *
 *   npm run synth -- --stack dev [--out FILE]
 *
 * Computed values are realistic: ARNs carry account 123456789012 and the stack's region; autonamed
 * resources get `<logical name>-<AUTONAME_SUFFIX>`; policies are the JSON strings AWS receives; the
 * function's code shows as {"index.mjs": {sha256, bytes}}.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as pulumi from '@pulumi/pulumi';
import program from '../index';
import { PROJECT_NAME } from '../lib/config';
import { readStackConfigFile } from '../lib/stack-config-file';
import { CliError, cliExitCode, parseCli, type CliSpec } from './cli';

export const MOCK_ACCOUNT_ID = '123456789012';
export const AUTONAME_SUFFIX = '0a1b2c3';
/** An Output that never resolves would hang the synth; this bounds the wait. */
const RESOLVE_TIMEOUT_MS = 20_000;

export interface SynthResource {
  /** Pulumi type token, e.g. `aws:dynamodb/table:Table`. */
  type: string;
  /** Logical name. */
  name: string;
  /** The id the provider would give it (components have none). */
  id: string | null;
  /** Logical name of the parent, null for the root component. */
  parent: string | null;
  /** Resolved inputs as the provider receives them (SDK property names). */
  inputs: Record<string, unknown>;
  /** Logical names of the resources this one waits for through its dependsOn option, sorted. */
  dependencies: string[];
  /** The resource options that change what `pulumi up` / `destroy` do, when set. */
  options: { protect?: true; retainOnDelete?: true; ignoreChanges?: string[] };
}

export interface SynthResult {
  stack: string;
  resources: SynthResource[];
  outputs: Record<string, unknown>;
}

export interface SynthOptions {
  stack: string;
  /** Environment the program sees instead of process.env (ENVIRONMENT_SUFFIX). Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Config values over the stack file's, fully qualified (`tap:alarmEmail`, `aws:region`). */
  config?: Record<string, unknown>;
  /** The program to run; default index.ts's (tests declare other compositions of TapStack). */
  program?: () => unknown;
}

/** Environment variables the program reads. */
const PROGRAM_ENV = ['ENVIRONMENT_SUFFIX', 'REPOSITORY', 'COMMIT_AUTHOR'] as const;

// Pulumi's runtime state is process-global: synths run one after another, never interleaved.
let previous: Promise<unknown> = Promise.resolve();

export function synthesize(opts: SynthOptions): Promise<SynthResult> {
  const run = previous.then(() => synthesizeNow(opts));
  previous = run.catch(() => undefined);
  return run;
}

async function synthesizeNow(opts: SynthOptions): Promise<SynthResult> {
  const config = { ...readStackConfigFile(opts.stack).values, ...opts.config };
  const env = opts.env ?? process.env;
  const region = String(config['aws:region'] ?? env.AWS_REGION ?? '');
  if (!region) throw new Error(`Pulumi.${opts.stack}.yaml sets no aws:region (and AWS_REGION is unset)`);

  const recorder = new Recorder();
  await pulumi.runtime.setMocks(recorder.mocks(mocks(region)), PROJECT_NAME, opts.stack, false);
  pulumi.runtime.setAllConfig(configStrings(config));

  // As `pulumi up` runs it: inside the root Stack resource, where a stack transformation sees every
  // resource with its parent and options (what the mocks' arguments do not carry).
  let programError: unknown;
  const run = withProgramEnv(env, () =>
    pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((args) => recorder.transformation(args));
      // A program that throws (a ConfigError) is reported as it is; thrown from here, the runtime
      // would also reject a promise nobody awaits.
      try {
        return (opts.program ?? program)();
      } catch (error) {
        programError = error;
        return {};
      }
    }),
  );
  const resolved = await settle(run, recorder.failures);
  // Waits for every registration (not only those the outputs depend on), then drops the mock monitor.
  await pulumi.runtime.disconnect();
  if (programError) throw programError;
  if (recorder.failures.length) throw recorder.failures[0];

  const resources = await Promise.all(
    recorder.resources().map(async (r) => ({ ...r, inputs: (await render(r.inputs)) as Record<string, unknown> })),
  );
  resources.sort((a, b) => rank(a) - rank(b) || compare(a.type, b.type) || compare(a.name, b.name));
  return { stack: opts.stack, resources, outputs: (resolved ?? {}) as Record<string, unknown> };
}

const rank = (r: SynthResource) => (r.parent === null ? 0 : 1);
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Pulumi config values are strings; lists and maps travel as JSON, as the CLI passes them. */
function configStrings(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}

async function withProgramEnv<T>(env: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const saved = PROGRAM_ENV.map((key) => [key, process.env[key]] as const);
  const apply = (entries: readonly (readonly [string, string | undefined])[]) => {
    for (const [key, value] of entries) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(PROGRAM_ENV.map((key) => [key, env[key]] as const));
  try {
    return await run();
  } finally {
    apply(saved);
  }
}

function settle<T>(promise: Promise<T>, failures: Error[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const poll = setInterval(() => failures.length && finish(() => reject(failures[0])), 10);
    const timer = setTimeout(
      () => finish(() => reject(new Error(`synth: stack outputs did not resolve within ${RESOLVE_TIMEOUT_MS} ms`))),
      RESOLVE_TIMEOUT_MS,
    );
    const finish = (done: () => void) => {
      clearInterval(poll);
      clearTimeout(timer);
      done();
    };
    promise.then(
      (value) => finish(() => resolve(value)),
      (error) => finish(() => reject(error)),
    );
  });
}

// ---- what the program declares -------------------------------------------------------------

const keyOf = (type: string, name: string) => `${type}::${name}`;

/**
 * Joins what the stack transformation sees (type, name, parent, resource options) with what the
 * mocks receive (the resolved inputs), by type and name: unique in a stack, as URNs are.
 */
class Recorder {
  readonly failures: Error[] = [];
  private readonly names = new WeakMap<pulumi.Resource, string>();
  private readonly declared: Omit<SynthResource, 'inputs' | 'id'>[] = [];
  private readonly inputs = new Map<string, Record<string, unknown>>();
  private readonly ids = new Map<string, string>();

  transformation(args: pulumi.ResourceTransformationArgs): undefined {
    this.names.set(args.resource, args.name);
    // The root Stack was created before the transformation was registered: it has no name here.
    const parent = args.opts.parent ? (this.names.get(args.opts.parent) ?? null) : null;
    const dependsOn = ([] as unknown[]).concat(args.opts.dependsOn ?? []) as pulumi.Resource[];
    this.declared.push({
      type: args.type,
      name: args.name,
      parent,
      dependencies: dependsOn.map((r) => this.names.get(r) ?? '(unknown)').sort(),
      options: {
        ...(args.opts.protect ? { protect: true } : {}),
        ...(args.opts.retainOnDelete ? { retainOnDelete: true } : {}),
        ...(args.opts.ignoreChanges?.length ? { ignoreChanges: [...args.opts.ignoreChanges] } : {}),
      },
    });
    return undefined;
  }

  /** Wraps mocks so their inputs are recorded and any failure is kept (a throwing mock fails no output by itself). */
  mocks(inner: pulumi.runtime.Mocks): pulumi.runtime.Mocks {
    return {
      call: (args) => this.guard(`calling ${args.token}`, () => inner.call(args)),
      newResource: (args) =>
        this.guard(`registering ${args.type} ${args.name}`, async () => {
          this.inputs.set(keyOf(args.type, args.name), args.inputs);
          const result = await inner.newResource(args);
          if (result.id) this.ids.set(keyOf(args.type, args.name), result.id);
          return result;
        }),
    };
  }

  private async guard<T>(what: string, run: () => T | Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.failures.push(new Error(`synth: ${what} failed: ${(error as Error).message}`));
      throw error;
    }
  }

  resources(): SynthResource[] {
    return this.declared.map((r) => {
      const key = keyOf(r.type, r.name);
      return { ...r, id: this.ids.get(key) ?? null, inputs: this.inputs.get(key) ?? {} };
    });
  }
}

/** Inputs as JSON: assets become {sha256, bytes}, secrets their value. */
async function render(value: unknown): Promise<unknown> {
  if (pulumi.asset.Archive.isInstance(value)) {
    const assets = await (value as pulumi.asset.AssetArchive).assets;
    const entries = await Promise.all(
      Object.entries(assets ?? {}).map(async ([k, v]) => [k, await render(v)] as const),
    );
    return Object.fromEntries(entries);
  }
  if (pulumi.asset.Asset.isInstance(value)) {
    const text = await (value as pulumi.asset.StringAsset).text;
    if (typeof text === 'string') {
      return { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
    }
    return { path: await (value as pulumi.asset.FileAsset).path };
  }
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(render));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return render(record.value);
    const entries = await Promise.all(Object.entries(record).map(async ([k, v]) => [k, await render(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

// ---- computed values --------------------------------------------------------------------------

/** A stable, realistic-looking id (API Gateway ids are 10 lowercase alphanumerics). */
export function fakeId(seed: string, length = 10): string {
  return BigInt(`0x${createHash('sha256').update(seed).digest('hex')}`)
    .toString(36)
    .slice(0, length);
}

/** A stable UUID (the form Lambda and EventBridge give mappings, connections and API destinations). */
function fakeUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}

function mocks(region: string): pulumi.runtime.Mocks {
  const account = MOCK_ACCOUNT_ID;
  return {
    call: (args) => {
      switch (args.token) {
        case 'aws:index/getRegion:getRegion':
          return { id: region, name: region, region, endpoint: `ec2.${region}.amazonaws.com`, description: region };
        case 'aws:index/getCallerIdentity:getCallerIdentity':
          return {
            id: account,
            accountId: account,
            arn: `arn:aws:iam::${account}:user/synth`,
            userId: 'AIDASYNTHUSER',
          };
        default:
          throw new Error(`synth: no mock for call ${args.token}`);
      }
    },
    newResource: (args) => {
      if (!args.custom) return { id: '', state: args.inputs };
      const inputs = args.inputs as Record<string, string | undefined>;
      const name = inputs.name ?? `${args.name}-${AUTONAME_SUFFIX}`;
      const computed = computedState(args.type, name, inputs, region, account);
      return { id: computed.id ?? name, state: { ...inputs, name, ...computed } };
    },
  };
}

/** What the provider would compute for each resource type the program declares. */
function computedState(
  type: string,
  name: string,
  inputs: Record<string, string | undefined>,
  region: string,
  account: string,
): Record<string, string> {
  const arn = (service: string, resource: string, scope = `${region}:${account}`) =>
    `arn:aws:${service}:${scope}:${resource}`;
  switch (type) {
    case 'aws:dynamodb/table:Table': {
      const tableArn = arn('dynamodb', `table/${name}`);
      return {
        id: name,
        arn: tableArn,
        streamArn: `${tableArn}/stream/2024-01-01T00:00:00.000`,
        streamLabel: '2024-01-01T00:00:00.000',
      };
    }
    case 'aws:sqs/queue:Queue': {
      const url = `https://sqs.${region}.amazonaws.com/${account}/${name}`;
      return { id: url, url, arn: arn('sqs', name) };
    }
    case 'aws:sqs/queuePolicy:QueuePolicy':
      return { id: inputs.queueUrl ?? name };
    case 'aws:ssm/parameter:Parameter':
      return { id: name, arn: arn('ssm', `parameter${name.startsWith('/') ? '' : '/'}${name}`), version: '1' };
    case 'aws:iam/role:Role':
      return {
        id: name,
        arn: `arn:aws:iam::${account}:role/${name}`,
        uniqueId: `AROA${fakeId(name, 17).toUpperCase()}`,
      };
    case 'aws:iam/rolePolicy:RolePolicy':
      return { id: `${inputs.role}:${name}` };
    case 'aws:iam/rolePolicyAttachment:RolePolicyAttachment':
      return { id: `${inputs.role}-${fakeId(String(inputs.policyArn), 8)}` };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { id: name, arn: arn('logs', `log-group:${name}`) };
    case 'aws:lambda/function:Function': {
      const functionArn = arn('lambda', `function:${name}`);
      return {
        id: name,
        arn: functionArn,
        qualifiedArn: `${functionArn}:$LATEST`,
        version: '$LATEST',
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
      };
    }
    case 'aws:lambda/eventSourceMapping:EventSourceMapping': {
      // Lambda names a mapping by a UUID; functionName may be a name or an ARN.
      const uuid = fakeUuid(`esm/${name}/${inputs.eventSourceArn ?? ''}`);
      const fn = String(inputs.functionName ?? '');
      return {
        id: uuid,
        uuid,
        arn: arn('lambda', `event-source-mapping:${uuid}`),
        functionArn: fn.startsWith('arn:') ? fn : arn('lambda', `function:${fn}`),
        state: 'Enabled',
      };
    }
    case 'aws:lambda/permission:Permission':
      return { id: inputs.statementId ?? `terraform-${fakeId(name, 20)}` };
    case 'aws:apigateway/restApi:RestApi': {
      const id = fakeId(`restapi/${name}`);
      return {
        id,
        rootResourceId: fakeId(`root/${id}`),
        arn: `arn:aws:apigateway:${region}::/restapis/${id}`,
        executionArn: arn('execute-api', id),
      };
    }
    case 'aws:apigateway/resource:Resource':
      return { id: fakeId(`resource/${inputs.restApi}/${inputs.pathPart}`), path: `/${inputs.pathPart}` };
    case 'aws:apigateway/stage:Stage': {
      const api = inputs.restApi;
      return {
        id: `ags-${api}-${inputs.stageName}`,
        arn: `arn:aws:apigateway:${region}::/restapis/${api}/stages/${inputs.stageName}`,
        executionArn: arn('execute-api', `${api}/${inputs.stageName}`),
        invokeUrl: `https://${api}.execute-api.${region}.amazonaws.com/${inputs.stageName}`,
      };
    }
    case 'aws:sns/topic:Topic': {
      const topicArn = arn('sns', name);
      return { id: topicArn, arn: topicArn };
    }
    case 'aws:sns/topicSubscription:TopicSubscription': {
      const subscriptionArn = `${inputs.topic}:${fakeId(name, 8)}`;
      return { id: subscriptionArn, arn: subscriptionArn };
    }
    case 'aws:cloudwatch/metricAlarm:MetricAlarm':
      return { id: name, arn: arn('cloudwatch', `alarm:${name}`) };
    case 'aws:cloudwatch/eventBus:EventBus':
      return { id: name, arn: arn('events', `event-bus/${name}`) };
    case 'aws:cloudwatch/eventConnection:EventConnection': {
      // EventBridge appends a UUID to a connection's ARN, and keeps its credentials in a secret it manages.
      const uuid = fakeUuid(`connection/${name}`);
      return {
        id: name,
        arn: arn('events', `connection/${name}/${uuid}`),
        secretArn: arn('secretsmanager', `secret:events!connection/${name}/${uuid}-${fakeId(uuid, 6)}`),
      };
    }
    case 'aws:cloudwatch/eventApiDestination:EventApiDestination':
      // Its ARN ends in a UUID too: `api-destination/<name>/<uuid>`.
      return { id: name, arn: arn('events', `api-destination/${name}/${fakeUuid(`api-destination/${name}`)}`) };
    case 'aws:cloudwatch/eventRule:EventRule': {
      // A rule on a custom bus is `rule/<bus>/<rule>` (id `<bus>/<rule>`); on the default bus `rule/<rule>`.
      const bus = inputs.eventBusName && inputs.eventBusName !== 'default' ? `${inputs.eventBusName}/` : '';
      return { id: `${bus}${name}`, arn: arn('events', `rule/${bus}${name}`) };
    }
    case 'aws:cloudwatch/eventTarget:EventTarget': {
      const bus = inputs.eventBusName && inputs.eventBusName !== 'default' ? `${inputs.eventBusName}/` : '';
      return { id: `${bus}${inputs.rule}/${inputs.targetId ?? fakeId(name, 26)}` };
    }
    case 'aws:cloudwatch/dashboard:Dashboard': {
      const dashboard = String(inputs.dashboardName);
      return { id: dashboard, dashboardArn: arn('cloudwatch', `dashboard/${dashboard}`, `:${account}`) };
    }
    default:
      // Methods, integrations, models, validators, gateway responses, deployments, settings, account.
      return { id: fakeId(`${type}/${name}/${inputs.restApi ?? inputs.restApiId ?? ''}`) };
  }
}

// ---- command line -----------------------------------------------------------------------------

export const SYNTH_CLI = {
  command: 'synth',
  usage: `usage: npm run synth -- --stack <name> [--out <file>]

Runs the program under Pulumi mocks with Pulumi.<name>.yaml and prints every resource with its
resolved inputs as JSON (to --out instead of stdout).

  --stack NAME   the stack whose config to read (required)
  --out FILE     write the JSON here
  -h, --help     this text`,
  options: { stack: { type: 'string' }, out: { type: 'string' } },
} satisfies CliSpec;

export function parseSynthArgs(argv: string[]): { stack: string; out?: string } {
  const values = parseCli(SYNTH_CLI, argv);
  if (!values.stack) throw new CliError('--stack is required');
  return { stack: values.stack, out: values.out };
}

async function main(argv: string[]): Promise<number> {
  let parsed: { stack: string; out?: string };
  try {
    parsed = parseSynthArgs(argv);
  } catch (error) {
    return cliExitCode(SYNTH_CLI, error);
  }
  try {
    const result = await synthesize({ stack: parsed.stack });
    const json = `${JSON.stringify(result, null, 2)}\n`;
    if (parsed.out) {
      fs.writeFileSync(parsed.out, json);
      console.error(`synth: ${result.resources.length} resources for stack ${parsed.stack} -> ${parsed.out}`);
    } else {
      process.stdout.write(json);
    }
    return 0;
  } catch (err) {
    console.error(`synth: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
