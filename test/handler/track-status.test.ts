/**
 * POST /track (one update), POST /track/batch ({"updates": [...]}) and GET /status against dynalite:
 * which route takes which body, what is stored (event_time included), how pages are cut, the
 * shipment's current state beside its history, what concurrency does, and what the feature flags
 * change.
 */
import { createHandler } from '../../lambda/app';
import * as awsClients from '../../lambda/aws-clients';
import { LIMITS } from '../../lambda/contract';
import { publicState } from '../../lambda/state';
import { TrackingStore, WriteRefusedError } from '../../lambda/store';
import { replayMessage } from '../../scripts/replay';
import {
  CALLER_ARN,
  ENVIRONMENT,
  captureOutput,
  freezeClock,
  getStatusEvent,
  invoke,
  lambdaContext,
  postBatchEvent,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type TestAws,
} from '../helpers/handler-harness';
import { putStateRecords, stateRecord } from '../helpers/state-records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let aws: TestAws;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  captureOutput();
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.reset();
});

describe('round trip', () => {
  it('stores a posted update with every contract field and returns it from GET /status', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    const at = Date.UTC(2024, 4, 1, 12, 0, 0, 123);
    freezeClock(at);
    const update = validUpdate('RT-1', { status: 'pending', metadata: { carrier: 'DHL', pieces: 2, fragile: true } });

    const posted = await invoke(handler, postTrackEvent(update, { requestId: 'req-rt-1' }));

    expect(posted.statusCode).toBe(200);
    expect(posted.body).toEqual({ message: 'tracking update stored', tracking_id: 'RT-1', timestamp: at });
    const [item, ...others] = await aws.itemsOf('RT-1');
    expect(others).toHaveLength(0);
    expect(item).toEqual({
      tracking_id: 'RT-1',
      timestamp: at,
      status: 'pending',
      location: { lat: 52.52, lng: 13.405 },
      // No event_time given: the time the API accepted the update.
      event_time: '2024-05-01T12:00:00.123Z',
      metadata: { carrier: 'DHL', pieces: 2, fragile: true },
      environment: ENVIRONMENT,
      created_at: '2024-05-01T12:00:00.123Z',
      update_id: expect.stringMatching(UUID),
      caller_arn: CALLER_ARN,
      request_id: 'req-rt-1',
    });

    const read = await invoke(handler, getStatusEvent({ tracking_id: 'RT-1' }));

    expect(read.statusCode).toBe(200);
    expect(read.body).toEqual({
      tracking_id: 'RT-1',
      count: 1,
      updates: [
        {
          timestamp: at,
          status: 'pending',
          location: { lat: 52.52, lng: 13.405 },
          event_time: '2024-05-01T12:00:00.123Z',
          metadata: { carrier: 'DHL', pieces: 2, fragile: true },
          environment: ENVIRONMENT,
          created_at: '2024-05-01T12:00:00.123Z',
          // The reader is the caller that posted (both default to CALLER_ARN): it sees its own ARN.
          caller_arn: CALLER_ARN,
          request_id: 'req-rt-1',
        },
      ],
    });
    expect(read.body).not.toHaveProperty('next_key');
    // No stream consumer here: the shipment has no state record yet, so no `current`.
    expect(read.body).not.toHaveProperty('current');
  });

  it('answers 404 in the error shape for a shipment without updates', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'NEVER-SEEN' }, { requestId: 'req-404' }));
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toEqual({ error: 'no tracking updates for tracking_id "NEVER-SEEN"', request_id: 'req-404' });
  });

  it('accepts header names in any case, a JSON charset, and a base64-encoded body', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    const body = JSON.stringify(validUpdate('RT-HDR'));
    const upper = await invoke(
      handler,
      postTrackEvent(body, { headers: { 'CONTENT-TYPE': 'Application/JSON; charset=UTF-8' } }),
    );
    const encoded = await invoke(
      handler,
      postTrackEvent(Buffer.from(body).toString('base64'), {
        headers: { 'content-type': 'application/json' },
        isBase64Encoded: true,
      }),
    );
    expect([upper.statusCode, encoded.statusCode]).toEqual([200, 200]);
    expect(await aws.itemsOf('RT-HDR')).toHaveLength(2);
  });
});

describe('pagination', () => {
  it('pages 25 updates with limit 10 as 10/10/5, strictly newest first, without gaps or repeats', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    const base = Date.UTC(2024, 5, 1);
    const posted: number[] = [];
    for (let i = 0; i < 25; i++) {
      const clock = freezeClock(base + i * 1000);
      const answer = await invoke(handler, postTrackEvent(validUpdate('PAGE-1', { metadata: { seq: i } })));
      clock.mockRestore();
      expect(answer.statusCode).toBe(200);
      posted.push(answer.body.timestamp);
    }

    const pages: { timestamp: number; metadata: { seq: number } }[][] = [];
    let lastKey: string | undefined;
    do {
      const query: Record<string, string> = { tracking_id: 'PAGE-1', limit: '10' };
      if (lastKey) query.last_key = lastKey;
      const answer = await invoke(handler, getStatusEvent(query));
      expect(answer.statusCode).toBe(200);
      expect(answer.body.count).toBe(answer.body.updates.length);
      pages.push(answer.body.updates);
      lastKey = answer.body.next_key;
      if (lastKey) expect(lastKey).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (lastKey && pages.length < 10);

    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    const timestamps = pages.flat().map((u) => u.timestamp);
    expect(timestamps).toEqual([...posted].sort((a, b) => b - a));
    expect(pages.flat().map((u) => u.metadata.seq)).toEqual([...Array(25).keys()].reverse());
  });

  it('uses 10 as the default page size and says next_key only while DynamoDB reports more', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    for (let i = 0; i < 12; i++) {
      const clock = freezeClock(Date.UTC(2024, 6, 1) + i);
      expect((await invoke(handler, postTrackEvent(validUpdate('PAGE-2')))).statusCode).toBe(200);
      clock.mockRestore();
    }
    const first = await invoke(handler, getStatusEvent({ tracking_id: 'PAGE-2' }));
    expect(first.body.count).toBe(10);
    expect(first.body.next_key).toEqual(expect.any(String));
    const second = await invoke(handler, getStatusEvent({ tracking_id: 'PAGE-2', last_key: first.body.next_key }));
    expect(second.body.count).toBe(2);
    expect(second.body).not.toHaveProperty('next_key');
    // Exactly 12 items with limit 12: DynamoDB stops at the limit and reports there may be more; the
    // next page is empty, and that is a 200 (the shipment exists), not a 404.
    const all = await invoke(handler, getStatusEvent({ tracking_id: 'PAGE-2', limit: '12' }));
    expect(all.body.count).toBe(12);
    expect(all.body.next_key).toEqual(expect.any(String));
    const empty = await invoke(handler, getStatusEvent({ tracking_id: 'PAGE-2', last_key: all.body.next_key }));
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toEqual({ tracking_id: 'PAGE-2', updates: [], count: 0 });
  });
});

describe('no update is ever overwritten', () => {
  it('stores all 50 concurrent posts for one tracking_id made in the same millisecond', async () => {
    aws.setParameters();
    // dynalite runs on this very event loop: 50 walkers (1 275 conditional puts) starve it, and a
    // request can wait seconds here that DynamoDB answers in milliseconds. Only for this test, give
    // the SDK and the invocation the time dynalite needs; the outcome under test is DynamoDB's.
    const config = awsClients.awsClientConfig();
    jest
      .spyOn(awsClients, 'awsClientConfig')
      .mockReturnValue({ ...config, requestHandler: { ...config.requestHandler, requestTimeout: 50_000 } } as never);
    const handler = createHandler(aws.env);
    const at = Date.UTC(2024, 7, 1, 8, 30);
    freezeClock(at);

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        invoke(handler, postTrackEvent(validUpdate('SAME-MS', { metadata: { seq: i } })), lambdaContext(55_000)),
      ),
    );

    expect(answers.map((a) => a.statusCode)).toEqual(Array(50).fill(200));
    const timestamps = answers.map((a) => a.body.timestamp as number).sort((a, b) => a - b);
    expect(timestamps).toEqual(Array.from({ length: 50 }, (_, i) => at + i));
    const items = await aws.itemsOf('SAME-MS');
    expect(items).toHaveLength(50);
    expect(new Set(items.map((item) => (item.metadata as { seq: number }).seq)).size).toBe(50);
    // Every item still says when it was accepted, whatever millisecond it landed on.
    expect(new Set(items.map((item) => item.created_at))).toEqual(new Set([new Date(at).toISOString()]));
  });

  it('moves a second update in the same millisecond to the next free one, keeping the first intact', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    const at = Date.UTC(2024, 7, 2);
    freezeClock(at);
    const first = await invoke(handler, postTrackEvent(validUpdate('TWO-MS', { status: 'pending' })));
    const second = await invoke(handler, postTrackEvent(validUpdate('TWO-MS', { status: 'in_transit' })));
    expect([first.body.timestamp, second.body.timestamp]).toEqual([at, at + 1]);
    const items = await aws.itemsOf('TWO-MS');
    expect(items.map((i) => [i.timestamp, i.status])).toEqual([
      [at, 'pending'],
      [at + 1, 'in_transit'],
    ]);
  });
});

describe('the bounded timestamp walk', () => {
  it('gives up after maxAttempts taken timestamps with a contention refusal carrying the next one to try', async () => {
    const store = new TrackingStore(aws.documents, aws.tableName);
    const base = {
      tracking_id: 'WALK-1',
      status: 'pending' as const,
      location: { lat: 0, lng: 0 },
      event_time: '2024-01-01T00:00:00.000Z',
      environment: 'test',
      created_at: '2024-01-01T00:00:00.000Z',
    };
    await store.put({ ...base, timestamp: 1000, update_id: 'u-1' });
    await store.put({ ...base, timestamp: 1001, update_id: 'u-2' });

    const attempt = store.put({ ...base, timestamp: 1000, update_id: 'u-3' }, { maxAttempts: 2 });

    await expect(attempt).rejects.toThrow(WriteRefusedError);
    await expect(attempt).rejects.toMatchObject({ reason: 'contention', item: { timestamp: 1002, update_id: 'u-3' } });
    expect((await aws.itemsOf('WALK-1')).map((i) => i.update_id)).toEqual(['u-1', 'u-2']);
    expect(await store.put({ ...base, timestamp: 1000, update_id: 'u-3' }, { maxAttempts: 3 })).toMatchObject({
      attempts: 3,
      alreadyStored: false,
      item: { timestamp: 1002 },
    });
  });
});

describe('one update per POST /track, batches on POST /track/batch', () => {
  it('answers a batch sent to POST /track with a 400 naming the batch route, and stores nothing', async () => {
    aws.setParameters({ batch_processing: true });
    const handler = createHandler(aws.env);

    const answer = await invoke(
      handler,
      postTrackEvent({ updates: [validUpdate('ROUTE-B1'), validUpdate('ROUTE-B2')] }, { requestId: 'req-to-track' }),
    );

    expect(answer.statusCode).toBe(400);
    expect(answer.body).toEqual({
      error: 'a batch goes to POST /track/batch',
      details: [{ field: 'updates', message: 'POST /track takes one update; send batches to POST /track/batch' }],
      request_id: 'req-to-track',
    });
    expect(await aws.itemsOf('ROUTE-B1')).toEqual([]);
    expect(await aws.itemsOf('ROUTE-B2')).toEqual([]);
  });

  it('answers a single update sent to POST /track/batch with a 400 naming POST /track, and stores nothing', async () => {
    aws.setParameters({ batch_processing: true });
    const handler = createHandler(aws.env);

    const answer = await invoke(handler, postBatchEvent(validUpdate('ROUTE-S1'), { requestId: 'req-to-batch' }));

    expect(answer.statusCode).toBe(400);
    expect(answer.body).toEqual({
      error: 'POST /track/batch takes {"updates": [...]}',
      details: [{ field: 'updates', message: 'is required; send a single update to POST /track' }],
      request_id: 'req-to-batch',
    });
    expect(await aws.itemsOf('ROUTE-S1')).toEqual([]);
    // The same update on its own route is stored.
    expect((await invoke(handler, postTrackEvent(validUpdate('ROUTE-S1')))).statusCode).toBe(200);
    expect(await aws.itemsOf('ROUTE-S1')).toHaveLength(1);
  });

  it('answers a batch of one in the batch shape: the route decides the answer, not the count', async () => {
    aws.setParameters({ batch_processing: true });
    const handler = createHandler(aws.env);
    const at = Date.UTC(2024, 8, 2);
    freezeClock(at);

    const answer = await invoke(handler, postBatchEvent([validUpdate('ROUTE-ONE')]));

    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual({
      message: expect.stringMatching(/^1 tracking updates? stored$/),
      count: 1,
      stored: 1,
      queued: 0,
      results: [{ tracking_id: 'ROUTE-ONE', timestamp: at, outcome: 'stored' }],
    });
    expect(await aws.itemsOf('ROUTE-ONE')).toHaveLength(1);
  });
});

describe('feature flags', () => {
  const batch = [
    validUpdate('BATCH-A', { status: 'pending' }),
    validUpdate('BATCH-B', { status: 'pending' }),
    validUpdate('BATCH-A', { status: 'in_transit' }),
  ];

  it('batch_processing on: POST /track/batch stores each update, in order per shipment, and lists every outcome', async () => {
    aws.setParameters({ batch_processing: true });
    const handler = createHandler(aws.env);
    const at = Date.UTC(2024, 8, 1);
    freezeClock(at);

    const answer = await invoke(handler, postBatchEvent(batch));

    expect(answer.statusCode).toBe(200);
    expect(answer.body).toEqual({
      message: '3 tracking updates stored',
      count: 3,
      stored: 3,
      queued: 0,
      results: [
        { tracking_id: 'BATCH-A', timestamp: at, outcome: 'stored' },
        { tracking_id: 'BATCH-B', timestamp: at, outcome: 'stored' },
        { tracking_id: 'BATCH-A', timestamp: at + 1, outcome: 'stored' },
      ],
    });
    const read = await invoke(handler, getStatusEvent({ tracking_id: 'BATCH-A' }));
    expect(read.body.updates.map((u: { status: string }) => u.status)).toEqual(['in_transit', 'pending']);
    expect(await aws.itemsOf('BATCH-B')).toHaveLength(1);
  });

  it('batch_processing off: POST /track/batch is a 400 saying so, and nothing is stored; POST /track still works', async () => {
    aws.setParameters({ batch_processing: false });
    const handler = createHandler(aws.env);
    const off = [validUpdate('BATCH-OFF-1'), validUpdate('BATCH-OFF-2')];

    const refused = await invoke(handler, postBatchEvent(off, { requestId: 'req-batch-off' }));

    expect(refused.statusCode).toBe(400);
    expect(refused.body).toEqual({
      error: 'batch processing is disabled',
      details: [{ field: 'updates', message: 'batch processing is disabled; send one update per POST /track' }],
      request_id: 'req-batch-off',
    });
    expect(await aws.itemsOf('BATCH-OFF-1')).toHaveLength(0);
    expect(await aws.itemsOf('BATCH-OFF-2')).toHaveLength(0);
    const single = await invoke(handler, postTrackEvent(validUpdate('BATCH-OFF-1')));
    expect(single.statusCode).toBe(200);
    expect(single.body).toMatchObject({ message: 'tracking update stored', tracking_id: 'BATCH-OFF-1' });
    expect(await aws.itemsOf('BATCH-OFF-1')).toHaveLength(1);
    expect(await aws.itemsOf('BATCH-OFF-2')).toHaveLength(0);
  });

  it('batch_processing off: a single update sent to POST /track/batch is refused as disabled too', async () => {
    aws.setParameters({ batch_processing: false });
    const handler = createHandler(aws.env);

    const refused = await invoke(handler, postBatchEvent(validUpdate('BATCH-OFF-3')));

    expect(refused.statusCode).toBe(400);
    expect(refused.body.error).toBe('batch processing is disabled');
    expect(await aws.itemsOf('BATCH-OFF-3')).toHaveLength(0);
  });

  it('enhanced_tracking on: stores the caller IAM ARN and the API request id', async () => {
    aws.setParameters({ enhanced_tracking: true });
    const handler = createHandler(aws.env);
    await invoke(handler, postTrackEvent(validUpdate('ENH-ON'), { requestId: 'req-enh-on' }));
    const [item] = await aws.itemsOf('ENH-ON');
    expect(item.caller_arn).toBe(CALLER_ARN);
    expect(item.request_id).toBe('req-enh-on');
  });

  it('enhanced_tracking off: stores neither', async () => {
    aws.setParameters({ enhanced_tracking: false });
    const handler = createHandler(aws.env);
    await invoke(handler, postTrackEvent(validUpdate('ENH-OFF'), { requestId: 'req-enh-off' }));
    const items = await aws.itemsOf('ENH-OFF');
    expect(items).toHaveLength(1);
    const [item] = items;
    expect(item).not.toHaveProperty('caller_arn');
    expect(item).not.toHaveProperty('request_id');
    const read = await invoke(handler, getStatusEvent({ tracking_id: 'ENH-OFF' }));
    expect(read.body.updates[0]).not.toHaveProperty('caller_arn');
    expect(read.body.updates[0]).not.toHaveProperty('request_id');
  });

  it('enhanced_tracking on without a caller ARN (no IAM identity): stores the request id only', async () => {
    aws.setParameters({ enhanced_tracking: true });
    const handler = createHandler(aws.env);
    await invoke(handler, postTrackEvent(validUpdate('ENH-NOARN'), { requestId: 'req-noarn', userArn: null }));
    const [item] = await aws.itemsOf('ENH-NOARN');
    expect(item).not.toHaveProperty('caller_arn');
    expect(item.request_id).toBe('req-noarn');
  });

  describe('GET /status returns caller_arn only to the caller that posted it', () => {
    const OTHER_CARRIER_ARN = 'arn:aws:iam::210987654321:role/other-carrier-scanner';

    it('the same caller sees its own ARN (and the request id) on its update', async () => {
      aws.setParameters({ enhanced_tracking: true });
      const handler = createHandler(aws.env);
      await invoke(
        handler,
        postTrackEvent(validUpdate('ARN-SAME'), { requestId: 'req-arn-same', userArn: CALLER_ARN }),
      );
      const read = await invoke(handler, getStatusEvent({ tracking_id: 'ARN-SAME' }, { userArn: CALLER_ARN }));
      expect(read.statusCode).toBe(200);
      expect(read.body.updates[0]).toMatchObject({ caller_arn: CALLER_ARN, request_id: 'req-arn-same' });
    });

    it('another caller does not see it (the request id stays), and the stored item still has it', async () => {
      aws.setParameters({ enhanced_tracking: true });
      const handler = createHandler(aws.env);
      await invoke(
        handler,
        postTrackEvent(validUpdate('ARN-OTHER'), { requestId: 'req-arn-other', userArn: CALLER_ARN }),
      );
      const read = await invoke(handler, getStatusEvent({ tracking_id: 'ARN-OTHER' }, { userArn: OTHER_CARRIER_ARN }));
      expect(read.statusCode).toBe(200);
      expect(read.body.updates[0]).not.toHaveProperty('caller_arn');
      expect(read.body.updates[0].request_id).toBe('req-arn-other');
      expect(JSON.stringify(read.body)).not.toContain(CALLER_ARN);
      const [item] = await aws.itemsOf('ARN-OTHER');
      expect(item.caller_arn).toBe(CALLER_ARN);
    });

    it('a request without an IAM identity sees no caller_arn', async () => {
      aws.setParameters({ enhanced_tracking: true });
      const handler = createHandler(aws.env);
      await invoke(handler, postTrackEvent(validUpdate('ARN-NONE'), { userArn: CALLER_ARN }));
      const read = await invoke(handler, getStatusEvent({ tracking_id: 'ARN-NONE' }, { userArn: null }));
      expect(read.statusCode).toBe(200);
      expect(read.body.updates[0]).not.toHaveProperty('caller_arn');
      expect(read.body.updates[0].request_id).toEqual(expect.any(String));
    });

    it('on a shipment with updates from two callers, each caller sees its own ARN only', async () => {
      aws.setParameters({ enhanced_tracking: true });
      const handler = createHandler(aws.env);
      const at = Date.UTC(2024, 8, 10);
      freezeClock(at);
      await invoke(handler, postTrackEvent(validUpdate('ARN-MIX', { status: 'pending' }), { userArn: CALLER_ARN }));
      await invoke(
        handler,
        postTrackEvent(validUpdate('ARN-MIX', { status: 'in_transit' }), { userArn: OTHER_CARRIER_ARN }),
      );
      const arns = async (userArn: string) =>
        (await invoke(handler, getStatusEvent({ tracking_id: 'ARN-MIX' }, { userArn }))).body.updates.map(
          (u: { status: string; caller_arn?: string }) => [u.status, u.caller_arn],
        );
      expect(await arns(CALLER_ARN)).toEqual([
        ['in_transit', undefined],
        ['pending', CALLER_ARN],
      ]);
      expect(await arns(OTHER_CARRIER_ARN)).toEqual([
        ['in_transit', OTHER_CARRIER_ARN],
        ['pending', undefined],
      ]);
    });
  });

  it('max_request_size from SSM bounds the body (413 above it)', async () => {
    aws.setParameters({}, { max_request_size: 200 });
    const handler = createHandler(aws.env);
    const big = validUpdate('SIZE-1', { metadata: { note: 'x'.repeat(200) } });
    const answer = await invoke(handler, postTrackEvent(big));
    expect(answer.statusCode).toBe(413);
    expect(answer.body.error).toMatch(/the limit is 200$/);
    expect(await aws.itemsOf('SIZE-1')).toHaveLength(0);
  });
});

describe('event_time: when the scan happened', () => {
  const at = Date.UTC(2024, 9, 10, 12, 0, 0);

  it('is stored normalised to UTC and returned by GET /status; absent, it is the accept time', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    freezeClock(at);
    const given = await invoke(
      handler,
      postTrackEvent(validUpdate('EVT-1', { status: 'pending', event_time: '2024-10-10T11:30:00.5+01:00' })),
    );
    freezeClock(at + 1000);
    const absent = await invoke(handler, postTrackEvent(validUpdate('EVT-1')));

    expect([given.statusCode, absent.statusCode]).toEqual([200, 200]);
    const items = await aws.itemsOf('EVT-1');
    expect(items.map((i) => [i.timestamp, i.event_time, i.created_at])).toEqual([
      [at, '2024-10-10T10:30:00.500Z', '2024-10-10T12:00:00.000Z'],
      [at + 1000, '2024-10-10T12:00:01.000Z', '2024-10-10T12:00:01.000Z'],
    ]);
    const read = await invoke(handler, getStatusEvent({ tracking_id: 'EVT-1' }));
    expect(read.body.updates.map((u: { event_time: string }) => u.event_time)).toEqual([
      '2024-10-10T12:00:01.000Z',
      '2024-10-10T10:30:00.500Z',
    ]);
  });

  it('keeps the history in arrival order, whatever the event times (a late upload of old scans)', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    const posts = [
      { status: 'in_transit', event_time: '2024-10-10T09:00:00Z' },
      { status: 'pending', event_time: '2024-10-09T09:00:00Z' },
      { status: 'delivered' },
      { status: 'in_transit', event_time: '2024-10-10T08:00:00-02:00' },
    ];
    for (const [i, overrides] of posts.entries()) {
      const clock = freezeClock(at + i * 1000);
      expect((await invoke(handler, postTrackEvent(validUpdate('EVT-ORDER', overrides)))).statusCode).toBe(200);
      clock.mockRestore();
    }
    const read = await invoke(handler, getStatusEvent({ tracking_id: 'EVT-ORDER' }));
    expect(read.body.updates.map((u: { timestamp: number; status: string; event_time: string }) => u)).toEqual([
      expect.objectContaining({ timestamp: at + 3000, status: 'in_transit', event_time: '2024-10-10T10:00:00.000Z' }),
      expect.objectContaining({ timestamp: at + 2000, status: 'delivered', event_time: '2024-10-10T12:00:02.000Z' }),
      expect.objectContaining({ timestamp: at + 1000, status: 'pending', event_time: '2024-10-09T09:00:00.000Z' }),
      expect.objectContaining({ timestamp: at, status: 'in_transit', event_time: '2024-10-10T09:00:00.000Z' }),
    ]);
  });

  it('is taken per update in a batch', async () => {
    aws.setParameters({ batch_processing: true });
    const handler = createHandler(aws.env);
    freezeClock(at);
    const answer = await invoke(
      handler,
      postBatchEvent([
        validUpdate('EVT-B', { event_time: '2024-10-10T11:00:00Z' }),
        validUpdate('EVT-B', { status: 'delivered' }),
      ]),
    );
    expect(answer.statusCode).toBe(200);
    expect((await aws.itemsOf('EVT-B')).map((i) => i.event_time)).toEqual([
      '2024-10-10T11:00:00.000Z',
      '2024-10-10T12:00:00.000Z',
    ]);
  });

  it('accepts up to 5 minutes ahead and max_event_age_days back (from SSM), and refuses beyond, naming the field', async () => {
    aws.setParameters({ batch_processing: true }, { max_event_age_days: 2 });
    const handler = createHandler(aws.env);
    freezeClock(at);
    const iso = (ms: number) => new Date(ms).toISOString();
    const post = (id: string, eventAt: number) =>
      invoke(handler, postTrackEvent(validUpdate(id, { event_time: iso(eventAt) })));

    const edges = [
      await post('EVT-EDGE-1', at + LIMITS.eventTimeMaxFutureMs),
      await post('EVT-EDGE-2', at - 2 * 86_400_000),
    ];
    const future = await post('EVT-FUTURE', at + LIMITS.eventTimeMaxFutureMs + 1);
    const old = await post('EVT-OLD', at - 2 * 86_400_000 - 1);
    const batch = await invoke(
      handler,
      postBatchEvent([validUpdate('EVT-OK'), validUpdate('EVT-BATCH', { event_time: iso(at + 3_600_000) })]),
    );

    expect(edges.map((a) => a.statusCode)).toEqual([200, 200]);
    expect(future.statusCode).toBe(400);
    expect(future.body.details).toEqual([
      { field: 'event_time', message: 'must not be more than 5 minutes in the future' },
    ]);
    expect(old.statusCode).toBe(400);
    expect(old.body.details).toEqual([{ field: 'event_time', message: 'must not be older than 2 days' }]);
    expect(batch.statusCode).toBe(400);
    expect(batch.body.details).toEqual([
      { field: 'updates[1].event_time', message: 'must not be more than 5 minutes in the future' },
    ]);
    for (const id of ['EVT-FUTURE', 'EVT-OLD', 'EVT-OK', 'EVT-BATCH']) expect(await aws.itemsOf(id)).toEqual([]);
  });
});

describe('GET /status and the state record', () => {
  const at = Date.UTC(2024, 10, 1, 8, 0, 0);

  async function postHistory(trackingId: string, count: number) {
    const handler = createHandler(aws.env);
    for (let i = 0; i < count; i++) {
      const clock = freezeClock(at + i * 1000);
      expect(
        (await invoke(handler, postTrackEvent(validUpdate(trackingId, { metadata: { seq: i } })))).statusCode,
      ).toBe(200);
      clock.mockRestore();
    }
    return handler;
  }

  it('returns `current` (the public view of the state record) beside the history', async () => {
    aws.setParameters();
    const handler = await postHistory('CUR-1', 2);
    const record = stateRecord(aws, 'CUR-1', 'in_transit', at + 1000);
    await putStateRecords(aws, [record]);

    const read = await invoke(handler, getStatusEvent({ tracking_id: 'CUR-1' }));

    expect(read.statusCode).toBe(200);
    expect(read.body.current).toEqual(publicState(record));
    expect(read.body.current).toEqual({
      tracking_id: 'CUR-1',
      status: 'in_transit',
      updated_at: at + 1000,
      event_time: new Date(at + 1000).toISOString(),
      location: record.location,
      first_seen: record.first_seen,
    });
    expect(read.body.count).toBe(2);
  });

  it('never returns the state record as an update, and keeps page sizes exact', async () => {
    aws.setParameters();
    const handler = await postHistory('CUR-2', 3);
    await putStateRecords(aws, [stateRecord(aws, 'CUR-2', 'in_transit', at + 2000)]);

    const first = await invoke(handler, getStatusEvent({ tracking_id: 'CUR-2', limit: '2' }));
    const second = await invoke(
      handler,
      getStatusEvent({ tracking_id: 'CUR-2', limit: '2', last_key: first.body.next_key }),
    );
    const all = await invoke(handler, getStatusEvent({ tracking_id: 'CUR-2', limit: '100' }));

    expect(first.body.updates.map((u: { metadata: { seq: number } }) => u.metadata.seq)).toEqual([2, 1]);
    expect(first.body.next_key).toEqual(expect.any(String));
    // The last page: one update, and no next_key (the state record under timestamp 0 is not "more").
    expect(second.body.updates.map((u: { metadata: { seq: number } }) => u.metadata.seq)).toEqual([0]);
    expect(second.body).not.toHaveProperty('next_key');
    expect(second.body.current.status).toBe('in_transit');
    expect(all.body.count).toBe(3);
    expect(all.body.updates.every((u: { timestamp: number }) => u.timestamp > 0)).toBe(true);
    expect(all.body.updates.every((u: Record<string, unknown>) => !('updated_key' in u))).toBe(true);
  });

  it('reads both with Queries (no GetItem: the role has none), the history one excluding timestamp 0', async () => {
    aws.setParameters();
    const handler = await postHistory('CUR-3', 1);
    aws.local.calls.clear();

    expect((await invoke(handler, getStatusEvent({ tracking_id: 'CUR-3' }))).statusCode).toBe(200);

    expect(aws.local.calls.of('dynamodb', 'GetItem')).toEqual([]);
    const conditions = aws.local.calls.of('dynamodb', 'Query').map((c) => c.input.KeyConditionExpression);
    expect(conditions.sort()).toEqual(['#id = :id AND #ts = :state', '#id = :id AND #ts > :state']);
  });

  it('reads the history and the state record in parallel', async () => {
    aws.setParameters();
    const handler = await postHistory('CUR-4', 1);
    aws.fault('dynamodb:Query=+200ms');
    const started = Date.now();
    const read = await invoke(handler, getStatusEvent({ tracking_id: 'CUR-4' }));
    expect(read.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('follows the existing rules without history: 404 without a cursor; past the end, 200 with `current`', async () => {
    aws.setParameters();
    const handler = await postHistory('CUR-5', 1);
    await putStateRecords(aws, [
      stateRecord(aws, 'CUR-ONLY-STATE', 'delivered', at),
      stateRecord(aws, 'CUR-5', 'pending', at),
    ]);

    const none = await invoke(handler, getStatusEvent({ tracking_id: 'CUR-ONLY-STATE' }));
    const page = await invoke(handler, getStatusEvent({ tracking_id: 'CUR-5', limit: '1' }));
    const past = await invoke(
      handler,
      getStatusEvent({ tracking_id: 'CUR-5', limit: '1', last_key: page.body.next_key }),
    );

    expect(none.statusCode).toBe(404);
    expect(past.statusCode).toBe(200);
    expect(past.body).toMatchObject({ tracking_id: 'CUR-5', updates: [], count: 0, current: { status: 'pending' } });
  });
});

describe('history items carry no StatusIndex key (only state records are indexed)', () => {
  it('stores single, batch and replayed-from-the-queue updates without status_shard or updated_key', async () => {
    aws.setParameters({ batch_processing: true });
    const handler = createHandler(aws.env);
    await invoke(handler, postTrackEvent(validUpdate('NOIDX-1')));
    expect((await invoke(handler, postBatchEvent([validUpdate('NOIDX-2'), validUpdate('NOIDX-3')]))).statusCode).toBe(
      200,
    );
    const items = [
      ...(await aws.itemsOf('NOIDX-1')),
      ...(await aws.itemsOf('NOIDX-2')),
      ...(await aws.itemsOf('NOIDX-3')),
    ];
    // Parked while DynamoDB refused it, then replayed; and a message the previous version parked.
    const refusal = aws.fault('dynamodb:PutItem=ProvisionedThroughputExceededException');
    expect((await invoke(handler, postTrackEvent(validUpdate('NOIDX-4')))).statusCode).toBe(202);
    refusal();
    const store = new TrackingStore(aws.documents, aws.tableName);
    expect(await replayMessage(store, aws.parked()[0])).toBe('stored');
    const previous = {
      tracking_id: 'NOIDX-5',
      timestamp: Date.UTC(2024, 11, 1),
      status: 'delivered',
      status_shard: 'delivered#3',
      location: { lat: 1, lng: 2 },
      environment: ENVIRONMENT,
      created_at: '2024-12-01T00:00:00.000Z',
      update_id: 'previous-version-1',
    };
    expect(await replayMessage(store, JSON.stringify({ version: 1, reason: 'unavailable', item: previous }))).toBe(
      'stored',
    );
    items.push(...(await aws.itemsOf('NOIDX-4')), ...(await aws.itemsOf('NOIDX-5')));

    expect(items).toHaveLength(5);
    for (const item of items) {
      expect(item).not.toHaveProperty('status_shard');
      expect(item).not.toHaveProperty('updated_key');
      expect(item.event_time).toBe(item.created_at);
    }
  });
});
