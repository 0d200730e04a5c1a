/**
 * The shipped bytes: the esbuild bundle (lib/bundle.ts, exactly what the stack deploys) imported by a
 * plain `node` process as the Lambda runtime would, with endpoints given only through the standard
 * AWS SDK environment variables, against dynalite, an unreachable SSM and the local SQS.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { BUNDLE_FILE, buildBundle } from '../../lib/bundle';
import { decodeParked } from '../../lambda/park';
import { startSqs, type LocalSqs } from '../../local/aws/sqs';
import { apiEvent, getStatusEvent, lambdaContext, postTrackEvent, startTestDynamo, validUpdate, type TestDynamo } from '../helpers/handler-harness';

let dynamo: TestDynamo;
let bundleFile: string;
let bundleCode: string;
let sqs: LocalSqs;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  const bundle = buildBundle();
  bundleCode = bundle.code;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracking-bundle-'));
  bundleFile = path.join(dir, BUNDLE_FILE);
  fs.writeFileSync(bundleFile, bundle.code);

  sqs = await startSqs('tracking-parked');
});

afterAll(async () => {
  await dynamo.close();
  await sqs.close();
  fs.rmSync(path.dirname(bundleFile), { recursive: true, force: true });
});

const RUNNER = `
const [file, events] = [process.argv[1], JSON.parse(process.argv[2])];
const { handler } = await import(file);
const results = [];
for (const event of events) {
  const context = { ...${JSON.stringify(lambdaContext())}, getRemainingTimeInMillis: () => 10000 };
  results.push(await handler(event, context));
}
process.stdout.write('RESULTS ' + JSON.stringify(results) + '\\n');
`;

/** Runs events through the bundle in a fresh node process (a cold start each time). */
function runBundle(events: unknown[], env: Record<string, string>): Promise<{ results: { statusCode: number; body: string }[]; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, pathToFileURL(bundleFile).href, JSON.stringify(events)], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.local.endpoint,
        // Nothing listens there: SSM is unreachable, the function must fall back to the defaults.
        AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        QUEUE_URL: sqs.queueUrl,
        TABLE_NAME: dynamo.tableName,
        ENVIRONMENT: 'bundle',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULTS '));
      if (code !== 0 || !line) reject(new Error(`bundle run failed (${code}): ${stderr}`));
      else resolve({ results: JSON.parse(line.slice('RESULTS '.length)), stdout });
    });
  });
}

it('contains no Pulumi and nothing from lib/', () => {
  expect(bundleCode).not.toMatch(/@pulumi|pulumi\.runtime/);
  expect(bundleCode).not.toContain('TapStack');
});

it('serves POST /track and GET /status from the bundle, falling back to the default settings without SSM', async () => {
  const { results, stdout } = await runBundle(
    [postTrackEvent(validUpdate('BUNDLE-1'), { requestId: 'bundle-req-1' }), getStatusEvent({ tracking_id: 'BUNDLE-1' }), apiEvent('GET', '/nope', null, null)],
    {},
  );
  expect(results.map((r) => r.statusCode)).toEqual([200, 200, 404]);
  expect(JSON.parse(results[1].body)).toMatchObject({ tracking_id: 'BUNDLE-1', count: 1 });
  // Defaults (enhanced_tracking on): the request id is stored.
  expect((await dynamo.itemsOf('BUNDLE-1'))[0].request_id).toBe('bundle-req-1');
  expect(stdout).toContain('"correlation_id":"bundle-req-1"');
  expect(stdout).toContain('"Namespace":"LogisticsTracking"');
});

it('parks on the queue through the lazily loaded SQS client when DynamoDB refuses the write', async () => {
  sqs.purge();
  const { results } = await runBundle([postTrackEvent(validUpdate('BUNDLE-2'))], { TABLE_NAME: 'no-such-table' });
  expect(results[0].statusCode).toBe(202);
  const parked = sqs.messages();
  expect(parked).toHaveLength(1);
  expect(decodeParked(parked[0].body)).toMatchObject({ tracking_id: 'BUNDLE-2', status: 'in_transit' });
});
