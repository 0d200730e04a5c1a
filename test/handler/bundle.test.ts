/**
 * The shipped bytes: the esbuild bundle (lib/bundle.ts, exactly what the stack deploys) imported by a
 * plain `node` process as the Lambda runtime would, with endpoints given only through the standard
 * AWS SDK environment variables, against dynalite, an unreachable SSM and the local SQS.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUNDLE_FILE, buildBundle } from '../../lib/bundle';
import { decodeParked } from '../../lambda/park';
import { startSqs, type LocalSqs } from '../../local/aws/sqs';
import { runBundle } from '../helpers/handler-bundle-runner';
import { apiEvent, getStatusEvent, postTrackEvent, startTestDynamo, validUpdate, type TestDynamo } from '../helpers/handler-harness';

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

const run = (events: unknown[], env: Record<string, string>) =>
  runBundle(
    bundleFile,
    events.map((event) => ({ event })),
    {
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
  );

it('contains no Pulumi and nothing from lib/', () => {
  expect(bundleCode).not.toMatch(/@pulumi|pulumi\.runtime/);
  expect(bundleCode).not.toContain('TapStack');
});

it('serves POST /track and GET /status from the bundle, falling back to the default settings without SSM', async () => {
  const { results, stdout } = await run(
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
  const { results } = await run([postTrackEvent(validUpdate('BUNDLE-2'))], { TABLE_NAME: 'no-such-table' });
  expect(results[0].statusCode).toBe(202);
  const parked = sqs.messages();
  expect(parked).toHaveLength(1);
  expect(decodeParked(parked[0].body)).toMatchObject({ tracking_id: 'BUNDLE-2', status: 'in_transit' });
});
