/**
 * `npm start [-- options]`: the whole tracking API on this machine (see local/local-api.ts).
 * Prints the base URL, the local credentials and a curl example that works as pasted; one line per
 * request follows. Ctrl-C / SIGTERM shut everything down cleanly.
 */
import * as fs from 'fs';
import { parseArgs } from 'util';

// The local engines' SDK clients run on whatever Node is installed; the version notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { banner } from './banner';
import { startLocalApi } from './local-api';

const USAGE = `Usage: npm start -- [options]

  --port N          port to listen on (default: $PORT or 3000)
  --host ADDR       address to listen on (default: $HOST or 127.0.0.1)
  --stack NAME      read Pulumi.NAME.yaml for the stack config (default: dev)
  --stage NAME      environment suffix = stage name (default: $ENVIRONMENT_SUFFIX, else the stack's)
  --set KEY=VALUE   override a stack config key, e.g. --set batchProcessing=false (repeatable)
  --data-dir DIR    keep the DynamoDB data in DIR across restarts (default: in memory)
  --watch           rebuild and reload the function when lambda/ changes
  --concurrency N   most function environments at once, each serving one request (default 8)
  --throttle        apply the stage's throttling (apiRateLimit/apiBurstLimit) like the deployed API
  --quiet           do not print the function's own log lines
  -h, --help        this text

Credentials: TAP_LOCAL_ACCESS_KEY_ID / TAP_LOCAL_SECRET_ACCESS_KEY (defaults printed at start).`;

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
  const { values } = parseArgs({
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
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${values.port ?? process.env.PORT}`);
  if (values.concurrency !== undefined && !(Number(values.concurrency) >= 1)) throw new Error(`invalid --concurrency ${values.concurrency}`);
  const config: Record<string, string> = {};
  for (const pair of values.set ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--set expects KEY=VALUE, got ${JSON.stringify(pair)}`);
    config[pair.slice(0, at).replace(/^tap:/, '')] = pair.slice(at + 1);
  }

  const api = await startLocalApi({
    host: values.host ?? process.env.HOST ?? '127.0.0.1',
    port,
    stack: values.stack,
    stage: values.stage,
    config,
    dataDir: values['data-dir'],
    watch: values.watch,
    throttle: values.throttle,
    concurrency: values.concurrency === undefined ? undefined : Number(values.concurrency),
    functionLog: values.quiet ? () => undefined : (line) => console.log(`  fn> ${line}`),
  });
  console.log(banner(api));
  if (values['data-dir']) console.log(`DynamoDB data kept in ${values['data-dir']}`);
  if (values.watch) console.log('Watching lambda/ for changes.');
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

main().catch((error: Error) => {
  console.error(`npm start failed: ${error.message}`);
  process.exit(1);
});
