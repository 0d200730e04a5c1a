/**
 * `npm run replay` against the local queue and table: the command the banner prints, pasted as is,
 * drains a parked update into the local table, where GET /status then finds it.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execFile } from 'child_process';
import { promisify } from 'util';
import { PROJECT_ROOT } from '../../lib/bundle';
import { resourceNames } from '../../lib/names';
import { encodeParked } from '../../lambda/park';
import type { LocalQueue } from '../../local/aws/sqs';
import { banner } from '../../local/banner';
import { startLocalApi, type LocalApi } from '../../local/local-api';
import { apiClient } from '../e2e/client';

const run = promisify(execFile);

describe('npm run replay against the local API', () => {
  let api: LocalApi;
  let queue: LocalQueue;

  beforeAll(async () => {
    api = await startLocalApi({ port: 0, log: () => undefined, functionLog: () => undefined });
    queue = api.aws.sqs.queue(resourceNames(api.stage).queue);
  });
  afterAll(() => api?.close());

  it('replays a parked update into the local table with the env the banner prints', async () => {
    const trackingId = `REPLAY-${Date.now()}`;
    const timestamp = Date.now() - 60_000;
    const item = {
      tracking_id: trackingId,
      timestamp,
      status: 'delivered' as const,
      location: { lat: 10, lng: 20 },
      environment: api.stage,
      created_at: new Date(timestamp).toISOString(),
      event_time: new Date(timestamp).toISOString(),
      update_id: `replay-test-${timestamp}`,
    };
    const sqs = new SQSClient({
      region: api.region,
      endpoint: api.aws.endpoints.sqs,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: api.queueUrl, MessageBody: encodeParked(item, 'test') }));
    sqs.destroy();
    expect(queue.messages()).toHaveLength(1);

    const replayLine = banner(api)
      .split('\n')
      .find((l) => l.trim().startsWith('env ') && l.trim().endsWith('npm run replay'));
    expect(replayLine).toBeTruthy();
    await run('bash', ['-c', replayLine!.trim()], { cwd: PROJECT_ROOT });
    expect(queue.messages()).toEqual([]);
    // The replay (another process) went through the local services, as the call record shows.
    expect(api.aws.calls.of('dynamodb', 'PutItem')).toEqual([
      expect.objectContaining({
        input: expect.objectContaining({
          TableName: api.tableName,
          Item: expect.objectContaining({ tracking_id: { S: trackingId } }),
        }),
      }),
    ]);
    expect(api.aws.calls.of('sqs', 'DeleteMessage')).toEqual([
      expect.objectContaining({ input: expect.objectContaining({ QueueUrl: api.queueUrl }) }),
    ]);

    const client = apiClient(api.url, api.region, async () => api.credentials);
    const read = await client.request({ method: 'GET', path: '/status', query: { tracking_id: trackingId } });
    expect(read.status).toBe(200);
    expect(read.json.updates).toEqual([
      expect.objectContaining({ timestamp, status: 'delivered', location: { lat: 10, lng: 20 } }),
    ]);
  });
});
