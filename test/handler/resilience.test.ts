/**
 * When the neighbours fail: SSM (fallback to last known values, then documented defaults), DynamoDB
 * (the update is parked on the queue, 202, and `npm run replay` restores it exactly once), the queue
 * as well (503), and code that throws (500 without internals). Never a 5xx for SSM trouble.
 */
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo, Socket } from 'net';
import { SDK_MAX_ATTEMPTS } from '../../lambda/aws-clients';
import { createHandler } from '../../lambda/app';
import { DEFAULT_FEATURE_FLAGS, METRICS } from '../../lambda/contract';
import { decodeParked } from '../../lambda/park';
import { TrackingStore } from '../../lambda/store';
import { main as replayMain, replayMessage, replayParkedUpdates } from '../../scripts/replay';
import { FakeQueue } from '../helpers/handler-fake-queue';
import {
  PARAMETERS,
  QUEUE_URL,
  captureOutput,
  freezeClock,
  getStatusEvent,
  invoke,
  lambdaContext,
  metricTotals,
  postTrackEvent,
  stubSsm,
  startTestDynamo,
  validUpdate,
  type OutputCapture,
  type TestDynamo,
} from '../helpers/handler-harness';

let dynamo: TestDynamo;
let output: OutputCapture;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  jest.restoreAllMocks();
});

const original = DynamoDBDocumentClient.prototype.send;

/** Makes every PutItem fail as DynamoDB does once the SDK's retries are spent; reads still work. */
function refusePuts(): jest.SpyInstance {
  return jest.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (this: DynamoDBDocumentClient, ...args: unknown[]) {
    if (args[0] instanceof PutCommand) {
      return Promise.reject(
        new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the provisioned rate', $metadata: { httpStatusCode: 400, attempts: 3 } }),
      );
    }
    return (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
  } as never);
}

function logsAt(level: string): Record<string, unknown>[] {
  return output.json().filter((line) => line.level === level);
}

describe('SSM failure: keep serving, never a 5xx', () => {
  it('serves the last known values when SSM fails after they expire, and logs and counts it', async () => {
    const ssm = stubSsm({ batch_processing: false, enhanced_tracking: false });
    const handler = createHandler(dynamo.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('SSM-LK-1')))).statusCode).toBe(200);
    expect(ssm.calls.sort()).toEqual([PARAMETERS.config, PARAMETERS.flags].sort());

    ssm.failing = true;
    freezeClock(Date.now() + 301_000); // past the 300 s cache
    output.clear();
    const batch = await invoke(handler, postTrackEvent({ updates: [validUpdate('SSM-LK-2')] }));
    const single = await invoke(handler, postTrackEvent(validUpdate('SSM-LK-3')));

    // Still the SSM values: batch refused, no enhanced fields. Not the defaults (batch on, enhanced on).
    expect(batch.statusCode).toBe(400);
    expect(batch.body.error).toBe('batch processing is disabled');
    expect(single.statusCode).toBe(200);
    expect((await dynamo.itemsOf('SSM-LK-3'))[0]).not.toHaveProperty('caller_arn');
    const warnings = logsAt('WARN').filter((l) => String(l.message).startsWith('SSM parameter unavailable'));
    expect(warnings.map((w) => [w.parameter, w.using])).toEqual(
      expect.arrayContaining([
        [PARAMETERS.config, 'last-known'],
        [PARAMETERS.flags, 'last-known'],
      ]),
    );
    expect(metricTotals(output)[METRICS.configFallback]).toBe(2);
    // Backoff: the second request did not go back to the failing SSM.
    expect(ssm.calls).toHaveLength(4);
  });

  it('serves the documented defaults when SSM has never answered, and logs and counts it', async () => {
    const ssm = stubSsm();
    ssm.failing = true;
    const handler = createHandler(dynamo.env);

    const batch = await invoke(handler, postTrackEvent({ updates: [validUpdate('SSM-DEF-1')] }, { requestId: 'req-ssm-def' }));

    // DEFAULT_FEATURE_FLAGS: batch_processing and enhanced_tracking on.
    expect(DEFAULT_FEATURE_FLAGS).toMatchObject({ batch_processing: true, enhanced_tracking: true });
    expect(batch.statusCode).toBe(200);
    expect((await dynamo.itemsOf('SSM-DEF-1'))[0].request_id).toBe('req-ssm-def');
    const warnings = logsAt('WARN').filter((l) => String(l.message).startsWith('SSM parameter unavailable'));
    expect(warnings.map((w) => w.using)).toEqual(['defaults', 'defaults']);
    expect(warnings[0].correlation_id).toBe('req-ssm-def');
    expect(metricTotals(output)[METRICS.configFallback]).toBe(2);
  });

  it('treats a malformed parameter like a missing one: defaults, logged and counted once', async () => {
    const ssm = stubSsm();
    ssm.values[PARAMETERS.flags] = '{"batch_processing": "yes"}';
    ssm.values[PARAMETERS.config] = 'not json';
    const handler = createHandler(dynamo.env);

    const first = await invoke(handler, postTrackEvent({ updates: [validUpdate('SSM-BAD-1')] }));
    const second = await invoke(handler, postTrackEvent(validUpdate('SSM-BAD-2')));

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(metricTotals(output)[METRICS.configFallback]).toBe(2);
  });

  it('never answers 5xx because of SSM, on either route', async () => {
    const ssm = stubSsm();
    ssm.failing = true;
    const handler = createHandler(dynamo.env);
    const answers = [
      await invoke(handler, postTrackEvent(validUpdate('SSM-5XX'))),
      await invoke(handler, getStatusEvent({ tracking_id: 'SSM-5XX' })),
      await invoke(handler, postTrackEvent('{broken')),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 400]);
  });
});

describe('DynamoDB refuses the write: parked, then replayed exactly once', () => {
  it('answers 202 with the assigned timestamp, parks the update, and stores nothing yet', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    refusePuts();
    const handler = createHandler(dynamo.env);
    const at = Date.UTC(2024, 9, 1);
    freezeClock(at);

    const answer = await invoke(handler, postTrackEvent(validUpdate('PARK-1', { status: 'delivered' }), { requestId: 'req-park-1' }));

    expect(answer.statusCode).toBe(202);
    expect(answer.body).toEqual({ message: 'tracking update accepted and queued for storage', tracking_id: 'PARK-1', timestamp: at, queued: true });
    expect(queue.bodies()).toHaveLength(1);
    const parked = decodeParked(queue.bodies()[0]);
    expect(parked).toMatchObject({ tracking_id: 'PARK-1', timestamp: at, status: 'delivered', request_id: 'req-park-1' });
    expect(JSON.parse(queue.bodies()[0])).toMatchObject({ version: 1, reason: 'unavailable' });
    expect(await dynamo.itemsOf('PARK-1')).toHaveLength(0);
    const totals = metricTotals(output);
    expect(totals[METRICS.updateParked]).toBe(1);
    expect(totals[METRICS.updateStored]).toBeUndefined();
  });

  it('replays the parked update into the table once, even when the same message is replayed twice', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    const refusal = refusePuts();
    const handler = createHandler(dynamo.env);
    const answer = await invoke(handler, postTrackEvent(validUpdate('PARK-2', { metadata: { dock: 7 } })));
    expect(answer.statusCode).toBe(202);
    refusal.mockRestore();
    const message = queue.bodies()[0];
    const store = new TrackingStore(dynamo.documents, dynamo.tableName);

    const summary = await replayParkedUpdates({ sqs: new SQSClient({}), store, queueUrl: QUEUE_URL, waitTimeSeconds: 0 });

    expect(summary).toMatchObject({ received: 1, stored: 1, alreadyStored: 0, failed: 0, queuedBefore: 1 });
    expect(queue.messages).toHaveLength(0);
    const items = await dynamo.itemsOf('PARK-2');
    expect(items).toHaveLength(1);
    expect(items[0]).toEqual(decodeParked(message));
    expect(items[0].timestamp).toBe(answer.body.timestamp);

    // The same message again (a duplicate delivery, or an operator replaying it by hand): one item.
    expect(await replayMessage(store, message)).toBe('already-stored');
    expect(await replayMessage(store, message)).toBe('already-stored');
    expect(await dynamo.itemsOf('PARK-2')).toEqual(items);
  });

  it('replays a redelivered message (stored, but its delete failed) without a second item', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    const refusal = refusePuts();
    const handler = createHandler(dynamo.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-3')))).statusCode).toBe(202);
    refusal.mockRestore();
    const store = new TrackingStore(dynamo.documents, dynamo.tableName);

    queue.failDeletes = true;
    const first = await replayParkedUpdates({ sqs: new SQSClient({}), store, queueUrl: QUEUE_URL, waitTimeSeconds: 0 });
    queue.failDeletes = false;
    queue.redeliver();
    const second = await replayParkedUpdates({ sqs: new SQSClient({}), store, queueUrl: QUEUE_URL, waitTimeSeconds: 0 });

    expect(first).toMatchObject({ received: 1, stored: 1, notDeleted: 1 });
    expect(second).toMatchObject({ received: 1, stored: 0, alreadyStored: 1, notDeleted: 0 });
    expect(queue.messages).toHaveLength(0);
    expect(await dynamo.itemsOf('PARK-3')).toHaveLength(1);
  });

  it('replays next to a live update that took the parked timestamp meanwhile: both kept, replay still idempotent', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    const handler = createHandler(dynamo.env);
    const at = Date.UTC(2024, 9, 2);
    freezeClock(at);
    const refusal = refusePuts();
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-4', { status: 'failed' })))).body.timestamp).toBe(at);
    refusal.mockRestore();
    // DynamoDB is back; a live update in the same millisecond takes the free slot.
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-4', { status: 'pending' })))).body.timestamp).toBe(at);
    const store = new TrackingStore(dynamo.documents, dynamo.tableName);
    const message = queue.bodies()[0];

    expect(await replayMessage(store, message)).toBe('stored');
    expect(await replayMessage(store, message)).toBe('already-stored');

    const items = await dynamo.itemsOf('PARK-4');
    expect(items.map((i) => [i.timestamp, i.status])).toEqual([
      [at, 'pending'],
      [at + 1, 'failed'],
    ]);
  });

  it('runs as `npm run replay` (the CLI entry): drains the queue and prints the summary', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    const refusal = refusePuts();
    const handler = createHandler(dynamo.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-CLI')))).statusCode).toBe(202);
    refusal.mockRestore();
    const lines: string[] = [];

    const code = await replayMain(['--wait', '0'], { QUEUE_URL, TABLE_NAME: dynamo.tableName }, (line) => lines.push(line));

    expect(code).toBe(0);
    expect(lines[lines.length - 1]).toBe('replay: received 1 (queue held ~1): stored 1, already stored 0, failed 0');
    expect(queue.messages).toHaveLength(0);
    expect(await dynamo.itemsOf('PARK-CLI')).toHaveLength(1);
  });

  it('leaves a message it cannot replay on the queue and reports it', async () => {
    const queue = new FakeQueue().install();
    queue.push('{"version":1,"item":{"tracking_id":"X"}}');
    const store = new TrackingStore(dynamo.documents, dynamo.tableName);
    const summary = await replayParkedUpdates({ sqs: new SQSClient({}), store, queueUrl: QUEUE_URL, waitTimeSeconds: 0 });
    expect(summary).toMatchObject({ received: 1, stored: 0, failed: 1 });
    expect(summary.failures[0].error).toMatch(/^parked item is invalid/);
    expect(queue.messages).toHaveLength(1);
  });

  it('parks each refused update of a batch and answers 202 listing each outcome', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    refusePuts();
    const handler = createHandler(dynamo.env);
    const answer = await invoke(handler, postTrackEvent({ updates: [validUpdate('PARK-B1'), validUpdate('PARK-B2')] }));
    expect(answer.statusCode).toBe(202);
    expect(answer.body).toMatchObject({ stored: 0, queued: 2, count: 2 });
    expect(answer.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['queued', 'queued']);
    expect(queue.bodies().map((b) => decodeParked(b).tracking_id)).toEqual(['PARK-B1', 'PARK-B2']);
  });
});

describe('the queue refuses too: 503, so the client retries', () => {
  it('answers 503 in the error shape with Retry-After, counts the rejection, stores nothing', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    queue.failSends = true;
    refusePuts();
    const handler = createHandler(dynamo.env);

    const answer = await invoke(handler, postTrackEvent(validUpdate('LOST-1'), { requestId: 'req-lost-1' }));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect(answer.body).toEqual({ error: 'tracking update could not be stored; retry later', request_id: 'req-lost-1' });
    expect(queue.messages).toHaveLength(0);
    expect(await dynamo.itemsOf('LOST-1')).toHaveLength(0);
    expect(metricTotals(output)[METRICS.updateLost]).toBe(1);
    expect(logsAt('ERROR').map((l) => l.message)).toContain('the queue refused the update too; the client must retry');
  });

  it('answers 503 when no queue is configured at all', async () => {
    stubSsm();
    refusePuts();
    const handler = createHandler({ ...dynamo.env, QUEUE_URL: '' });
    const answer = await invoke(handler, postTrackEvent(validUpdate('LOST-2')));
    expect(answer.statusCode).toBe(503);
  });

  it('names the updates to retry when part of a batch is rejected', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    queue.failSends = true;
    const spy = refusePuts();
    // The first shipment's write goes through, the second's is refused.
    spy.mockImplementation(function (this: DynamoDBDocumentClient, ...args: unknown[]) {
      const command = args[0];
      if (command instanceof PutCommand && command.input.Item?.tracking_id === 'PART-2') {
        return Promise.reject(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
      }
      return (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } as never);
    const handler = createHandler(dynamo.env);

    const answer = await invoke(handler, postTrackEvent({ updates: [validUpdate('PART-1'), validUpdate('PART-2')] }));

    expect(answer.statusCode).toBe(503);
    expect(answer.body.details).toEqual([{ field: 'updates[1]', message: 'could not be stored or queued; retry this update' }]);
    expect(answer.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['stored', 'rejected']);
    expect(await dynamo.itemsOf('PART-1')).toHaveLength(1);
  });
});

describe('the real SDK path to an unhealthy DynamoDB', () => {
  let server: Server;
  let requests: number;
  let mode: 'error' | 'hang';
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      requests += 1;
      request.resume();
      if (mode === 'hang') return;
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `fault-${requests}` });
      response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }));
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function faultyHandler() {
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const handler = createHandler({ ...dynamo.env, AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB });
    return { handler, restore: () => (process.env.AWS_ENDPOINT_URL_DYNAMODB = previous) };
  }

  it('retries a 500 with the standard strategy, then parks (202) after exactly the configured attempts', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    requests = 0;
    mode = 'error';
    const { handler, restore } = faultyHandler();
    try {
      const answer = await invoke(handler, postTrackEvent(validUpdate('SDK-500')));
      expect(answer.statusCode).toBe(202);
      expect(requests).toBe(SDK_MAX_ATTEMPTS);
      expect(queue.bodies()).toHaveLength(1);
    } finally {
      restore();
    }
  });

  it('gives up on a DynamoDB that never answers in time to park within the time the function has left', async () => {
    stubSsm();
    const queue = new FakeQueue().install();
    requests = 0;
    mode = 'hang';
    const { handler, restore } = faultyHandler();
    try {
      const remainingMs = 3000;
      const started = Date.now();
      const answer = await invoke(handler, postTrackEvent(validUpdate('SDK-HANG')), lambdaContext(remainingMs));
      expect(Date.now() - started).toBeLessThan(remainingMs);
      expect(answer.statusCode).toBe(202);
      expect(queue.bodies()).toHaveLength(1);
      expect(requests).toBeGreaterThanOrEqual(1);
    } finally {
      restore();
    }
  });
});

describe('unexpected failures', () => {
  it('answers 500 without internals, and logs the error with its stack', async () => {
    stubSsm();
    jest.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation((() => {
      throw new TypeError('cannot read secret_internal_field of undefined');
    }) as never);
    const handler = createHandler(dynamo.env);

    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'BOOM-1' }, { requestId: 'req-boom' }));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).toEqual({ error: 'internal error', request_id: 'req-boom' });
    const [logged] = logsAt('ERROR').filter((l) => l.message === 'unhandled error');
    expect(logged).toMatchObject({ correlation_id: 'req-boom', error: { name: 'TypeError', message: 'cannot read secret_internal_field of undefined' } });
    expect(String((logged.error as { stack: string }).stack)).toContain('TypeError');
    expect(metricTotals(output)[METRICS.unhandledError]).toBe(1);
  });

  it('answers 503 (not 500) when DynamoDB refuses a status query after retries', async () => {
    stubSsm();
    jest.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (this: DynamoDBDocumentClient, ...args: unknown[]) {
      if (args[0] instanceof QueryCommand) {
        return Promise.reject(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));
      }
      return (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } as never);
    const handler = createHandler(dynamo.env);
    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'SLOW-1' }));
    expect(answer.statusCode).toBe(503);
    expect(answer.body.error).toBe('tracking history is temporarily unavailable; retry later');
    expect(metricTotals(output)[METRICS.statusUnavailable]).toBe(1);
  });

  it('answers 500 when the function has no table configured, without naming it to the client', async () => {
    stubSsm();
    const handler = createHandler({ ...dynamo.env, TABLE_NAME: '' });
    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'NOTABLE' }));
    expect(answer.statusCode).toBe(500);
    expect(answer.body.error).toBe('internal error');
  });
});
