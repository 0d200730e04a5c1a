/**
 * `npm start [-- options]`: the whole tracking API on this machine (see local/local-api.ts).
 * Prints the base URL, the local credentials and a curl example that works as pasted; one line per
 * request follows. Ctrl-C / SIGTERM shut everything down cleanly. The command line follows
 * scripts/cli.ts: -h/--help prints the usage (exit 0), a bad argument is exit code 2.
 */
import * as fs from 'fs';

// The local engines' SDK clients run on whatever Node is installed; the version notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { CliError, integerOption, positiveInteger, runCli, type CliSpec, type CliValues } from '../scripts/cli';
import { parseFault } from './aws/faults';
import { banner } from './banner';

export const START_CLI = {
  command: 'npm start',
  usage: `Usage: npm start -- [options]

  --port N            port to listen on (default: $PORT or 3000)
  --host ADDR         address to listen on (default: $HOST or 127.0.0.1)
  --stack NAME        read Pulumi.NAME.yaml for the stack config (default: dev)
  --stage NAME        environment suffix = stage name (default: $ENVIRONMENT_SUFFIX, else the stack's)
  --set KEY=VALUE     override a stack config key, e.g. --set batchProcessing=false (repeatable)
  --data-dir DIR      keep the DynamoDB data in DIR across restarts (default: in memory)
  --watch             rebuild and reload the function when lambda/ changes
  --concurrency N     most function environments at once, each serving one request (default: the cores, at most 8)
  --throttle          apply the stage's throttling (apiRateLimit/apiBurstLimit) like the deployed API
  --fault SPEC        inject a fault into a local AWS service, e.g. dynamodb:PutItem=ProvisionedThroughputExceededException@0.2 (repeatable; see docs/local.md)
  --events-file FILE  append every status-change event to FILE, one JSON line each (needs --set realTimeNotifications=true)
  --webhook URL       POST every event's detail to URL (http/https) as the stack's API destination does; the auth header's value is $TAP_LOCAL_WEBHOOK_SECRET
  --quiet             do not print the function's own log lines
  -h, --help          this text

Credentials: TAP_LOCAL_ACCESS_KEY_ID / TAP_LOCAL_SECRET_ACCESS_KEY (defaults printed at start).
Events: the consumer puts them on the stack's bus only with --set realTimeNotifications=true.
Exit code 2 on a bad argument, 1 if the API cannot start; 0 after Ctrl-C / SIGTERM.`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    stack: { type: 'string' },
    stage: { type: 'string' },
    set: { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    watch: { type: 'boolean' },
    throttle: { type: 'boolean' },
    concurrency: { type: 'string' },
    fault: { type: 'string', multiple: true },
    'events-file': { type: 'string' },
    webhook: { type: 'string' },
    quiet: { type: 'boolean' },
  },
} as const satisfies CliSpec;

/** The parsed command line as startLocalApi options (plus --quiet); a bad value throws CliError. */
export function startOptions(values: CliValues<typeof START_CLI.options>, env: NodeJS.ProcessEnv) {
  const port =
    values.port === undefined
      ? integerOption('PORT', env.PORT || '3000', 0, 65535)
      : integerOption('--port', values.port, 0, 65535);
  const config: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new CliError(`--set expects KEY=VALUE, got ${JSON.stringify(pair)}`);
    config[pair.slice(0, at).replace(/^tap:/, '')] = pair.slice(at + 1);
  }
  for (const spec of values.fault ?? []) {
    try {
      parseFault(spec);
    } catch (error) {
      throw new CliError(`--fault: ${(error as Error).message}`);
    }
  }
  const webhook = values.webhook;
  if (webhook !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(webhook);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      throw new CliError(`--webhook must be an http:// or https:// URL, got ${JSON.stringify(webhook)}`);
    }
  }
  return {
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port,
    stack: values.stack,
    stage: values.stage,
    config,
    dataDir: values['data-dir'],
    watch: values.watch,
    throttle: values.throttle,
    concurrency: positiveInteger('--concurrency', values.concurrency),
    faults: values.fault,
    eventsFile: values['events-file'],
    webhook,
    quiet: values.quiet,
  };
}

/**
 * Calls back when the process that launched us is orphaned or gone. `npm start` runs us as
 * npm -> sh -c -> tsx -> node, and Debian's sh (dash) does not pass npm's forwarded SIGTERM on:
 * without this, `kill <npm pid>` would leave the API running. Linux only (/proc); a no-op elsewhere.
 */
function onLauncherGone(callback: () => void): void {
  const launcher = process.ppid;
  const parentOf = (pid: number) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return -1;
    }
  };
  const initial = parentOf(launcher);
  if (initial <= 0) return;
  const timer = setInterval(() => {
    if (parentOf(launcher) !== initial) {
      clearInterval(timer);
      callback();
    }
  }, 1000);
  timer.unref();
}

async function main(): Promise<void> {
  const { quiet, ...options } = runCli(START_CLI, process.argv.slice(2), (values) => startOptions(values, process.env));

  // Loaded only now: --help and a bad argument answer without loading the emulation kit.
  const { startLocalApi } = await import('./local-api');
  const api = await startLocalApi({
    ...options,
    functionLog: quiet ? () => undefined : (line, fn) => console.log(`  ${fn}> ${line}`),
  });
  console.log(banner(api));
  if (options.dataDir) console.log(`DynamoDB data kept in ${options.dataDir}`);
  if (options.watch) console.log('Watching lambda/ for changes.');
  console.log('Ctrl-C to stop.\n');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    await api.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  onLauncherGone(() => void stop('launcher exited'));
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`npm start failed: ${error.message}`);
    process.exit(1);
  });
}
