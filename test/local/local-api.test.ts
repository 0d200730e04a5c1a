/** startLocalApi(): the stack's config, names, parameters and table, and the watch/reload path. */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TRACKING_TABLE } from '../../lambda/contract';
import { watchSources } from '../../local/runtime/function-bundle';
import { startLocalApi, type LocalApi } from '../../local/local-api';

describe('startLocalApi', () => {
  let api: LocalApi;
  const lines: string[] = [];

  beforeAll(async () => {
    api = await startLocalApi({
      port: 0,
      stage: 'qa7',
      config: { batchProcessing: false, maxRequestSize: 4096 },
      credentials: [{ accessKeyId: 'LOCALAPITESTKEY00001', secretAccessKey: 's3cret', userName: 'tester' }],
      log: (line) => lines.push(line),
      functionLog: () => undefined,
    });
  });
  afterAll(() => api?.close());

  it('names everything after the stage, as the stack does', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/qa7$/);
    expect(api.stage).toBe('qa7');
    expect(api.region).toBe('us-west-2');
    expect(api.tableName).toBe('tracking-updates-qa7');
    expect(api.queueUrl).toMatch(/\/123456789012\/tracking-parked-updates-qa7$/);
    expect(api.identity.userArn).toBe('arn:aws:iam::123456789012:user/tester');
    expect(api.aws.env).toEqual(
      expect.objectContaining({
        AWS_REGION: 'us-west-2',
        AWS_ENDPOINT_URL_DYNAMODB: api.aws.endpoints.dynamodb,
        AWS_ENDPOINT_URL_SSM: api.aws.endpoints.ssm,
        AWS_ENDPOINT_URL_SQS: api.aws.endpoints.sqs,
      }),
    );
    expect(api.queueUrl).toBe(api.aws.sqs.queue('tracking-parked-updates-qa7').url);
    expect(api.definition).toMatchObject({ key: 'api', name: 'tracking-api-qa7' });
  });

  it('creates the tracking table from the contract (keys and StatusIndex)', async () => {
    const client = new DynamoDBClient({
      endpoint: api.aws.endpoints.dynamodb,
      region: api.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: api.tableName }));
    client.destroy();
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TRACKING_TABLE.hashKey, KeyType: 'HASH' },
      { AttributeName: TRACKING_TABLE.rangeKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.[0].IndexName).toBe(TRACKING_TABLE.statusIndex.name);
  });

  it('serves the three SSM parameters with the stack config values (overrides applied)', async () => {
    const client = new SSMClient({
      endpoint: api.aws.endpoints.ssm,
      region: api.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const names = api.parameterNames;
    const Parameters = await Promise.all(
      [names.config, names.endpoint, names.flags].map(
        async (Name) => (await client.send(new GetParameterCommand({ Name, WithDecryption: true }))).Parameter!,
      ),
    );
    client.destroy();
    const byName = Object.fromEntries(Parameters.map((p) => [p.Name, p]));
    expect(JSON.parse(byName[names.config].Value!)).toEqual({
      max_request_size: 4096,
      timeout: api.args.lambdaTimeout,
      rate_limit: api.args.apiRateLimit,
      max_event_age_days: api.args.maxEventAgeDays,
    });
    expect(byName[names.endpoint]).toMatchObject({ Type: 'SecureString', Value: 'tracking-updates-qa7' });
    expect(JSON.parse(byName[names.flags].Value!)).toEqual({
      enhanced_tracking: true,
      batch_processing: false,
      real_time_notifications: false,
    });
    expect(names.config).toBe('/logistics/api/qa7/config');
  });

  it('answers on the stage path and refuses other stages', async () => {
    const other = await fetch(api.url.replace(/qa7$/, 'dev') + '/status');
    expect(other.status).toBe(403);
    expect(lines.some((l) => /^GET \/dev\/status 403 /.test(l))).toBe(true);
  });

  it('reload() rebuilds the bundle with lib/bundle.ts and swaps the function', async () => {
    const before = api.bundle.sha256;
    await api.reload();
    expect(api.bundle.sha256).toBe(before);
    expect(api.bundle.file).toMatch(/dist[\\/]lambda[\\/]api[\\/]index\.mjs$/);
    // Both functions are rebuilt and swapped.
    for (const definition of Object.values(api.definitions)) {
      expect(lines.some((l) => l.startsWith(`reloaded ${definition.name} `))).toBe(true);
    }
  });
});

describe('watchSources', () => {
  it('calls back (debounced) when a source file changes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-watch-'));
    let calls = 0;
    const stop = watchSources(async () => void calls++, [dir], 50);
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), 'export const a = 1;');
      fs.writeFileSync(path.join(dir, 'b.ts'), 'export const b = 1;');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
      const deadline = Date.now() + 3000;
      while (calls === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(1);
    } finally {
      stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
