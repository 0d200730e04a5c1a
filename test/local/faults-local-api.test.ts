/**
 * Faults through the whole local API (`startLocalApi({ faults })`, as `npm start -- --fault SPEC`):
 * the function's fallbacks as a client sees them. DynamoDB refusing every write parks the update on
 * the queue (202, queued); the queue refusing it too is a 503 with Retry-After.
 */
import { SDK_MAX_ATTEMPTS } from '../../lambda/aws-clients';
import { decodeParked } from '../../lambda/park';
import { RETRY_AFTER_SECONDS } from '../../lambda/responses';
import { resourceNames } from '../../lib/names';
import type { LocalQueue } from '../../local/aws/sqs';
import { startLocalApi, type LocalApi } from '../../local/local-api';
import { apiClient, type ApiClient } from '../e2e/client';

const THROTTLED = 'dynamodb:PutItem=ProvisionedThroughputExceededException';

async function start(faults: string[]): Promise<{ api: LocalApi; client: ApiClient; queue: LocalQueue }> {
  const api = await startLocalApi({ port: 0, faults, log: () => undefined, functionLog: () => undefined });
  return {
    api,
    client: apiClient(api.url, api.region, async () => api.credentials),
    queue: api.aws.sqs.queue(resourceNames(api.stage).queue),
  };
}

const update = (trackingId: string) =>
  JSON.stringify({ tracking_id: trackingId, status: 'in_transit', location: { lat: 47.61, lng: -122.33 } });

describe(`local API with ${THROTTLED}`, () => {
  let local: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    local = await start([THROTTLED]);
  });
  afterAll(() => local?.api.close());

  it('POST /track answers 202 queued, and the update is parked on the queue', async () => {
    const trackingId = `FAULT-PARK-${Date.now()}`;
    const response = await local.client.request({ method: 'POST', path: '/track', body: update(trackingId) });
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ queued: true, tracking_id: trackingId, timestamp: expect.any(Number) });

    const messages = local.queue.messages();
    expect(messages).toHaveLength(1);
    expect(decodeParked(messages[0].body)).toMatchObject({
      tracking_id: trackingId,
      timestamp: response.json.timestamp,
      status: 'in_transit',
      location: { lat: 47.61, lng: -122.33 },
    });
    // DynamoDB refused every attempt of the function's SDK; the queue took the update at the first.
    expect(local.api.aws.calls.of('dynamodb', 'PutItem')).toHaveLength(SDK_MAX_ATTEMPTS);
    expect(local.api.aws.calls.of('sqs', 'SendMessage')).toEqual([
      expect.objectContaining({ input: expect.objectContaining({ QueueUrl: local.api.queueUrl }) }),
    ]);
  });
});

describe(`local API with ${THROTTLED} and sqs:SendMessage=InternalError`, () => {
  let local: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    local = await start([THROTTLED, 'sqs:SendMessage=InternalError']);
  });
  afterAll(() => local?.api.close());

  it('POST /track answers 503 with Retry-After, and nothing is parked', async () => {
    const response = await local.client.request({
      method: 'POST',
      path: '/track',
      body: update(`FAULT-LOST-${Date.now()}`),
    });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(response.json.request_id).toEqual(expect.any(String));
    expect(local.queue.messages()).toEqual([]);
    // Every attempt of the write, then every attempt to park, was refused.
    expect(local.api.aws.calls.of('dynamodb', 'PutItem')).toHaveLength(SDK_MAX_ATTEMPTS);
    expect(local.api.aws.calls.of('sqs', 'SendMessage')).toHaveLength(SDK_MAX_ATTEMPTS);
  });
});
