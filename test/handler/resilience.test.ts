/**
 * When the neighbours fail: SSM (fallback to last known values, then documented defaults), DynamoDB
 * (the update is parked on the queue, 202, and `npm run replay` restores it exactly once), the queue
 * as well (503), and code that throws (500 without internals). Never a 5xx for SSM trouble.
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SDK_MAX_ATTEMPTS } from '../../lambda/aws-clients';
import { createHandler } from '../../lambda/app';
import { DEFAULT_FEATURE_FLAGS, FUNCTION_ENV, METRICS } from '../../lambda/contract';
import { decodeParked } from '../../lambda/park';
import { TrackingStore } from '../../lambda/store';
import { main as replayMain, replayMessage, replayParkedUpdates } from '../../scripts/replay';
import {
  PARAMETERS,
  apiEvent,
  captureOutput,
  freezeClock,
  getStatusEvent,
  invoke,
  lambdaContext,
  metricTotals,
  postBatchEvent,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type OutputCapture,
  type TestAws,
} from '../helpers/handler-harness';

let aws: TestAws;
let output: OutputCapture;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.reset();
});

/** Every PutItem fails as DynamoDB's throttling does, through the SDK's retries; reads still work. */
const refusePuts = () => aws.fault('dynamodb:PutItem=ProvisionedThroughputExceededException');
/** The parking queue refuses too. */
const refuseSends = () => aws.fault('sqs:SendMessage=InternalError');
const sqs = () => new SQSClient({});
const replayOptions = () => ({
  sqs: sqs(),
  store: new TrackingStore(aws.documents, aws.tableName),
  queueUrl: aws.queue.url,
  waitTimeSeconds: 0,
});

function logsAt(level: string): Record<string, unknown>[] {
  return output.json().filter((line) => line.level === level);
}

describe('SSM failure: keep serving, never a 5xx', () => {
  it('serves the last known values when SSM fails after they expire, and logs and counts it', async () => {
    const ssm = aws.setParameters({ batch_processing: false, enhanced_tracking: false });
    const handler = createHandler(aws.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('SSM-LK-1')))).statusCode).toBe(200);
    expect([...ssm.calls].sort()).toEqual([PARAMETERS.config, PARAMETERS.flags].sort());

    ssm.failing = true;
    freezeClock(Date.now() + 301_000); // past the 300 s cache
    output.clear();
    const batch = await invoke(handler, postBatchEvent([validUpdate('SSM-LK-2')]));
    const callsAfterFailure = ssm.calls.length;
    const single = await invoke(handler, postTrackEvent(validUpdate('SSM-LK-3')));

    // Still the SSM values: batch refused, no enhanced fields. Not the defaults (batch on, enhanced on).
    expect(batch.statusCode).toBe(400);
    expect(batch.body.error).toBe('batch processing is disabled');
    expect(single.statusCode).toBe(200);
    expect((await aws.itemsOf('SSM-LK-3'))[0]).not.toHaveProperty('caller_arn');
    const warnings = logsAt('WARN').filter((l) => String(l.message).startsWith('SSM parameter unavailable'));
    expect(warnings.map((w) => [w.parameter, w.using])).toEqual(
      expect.arrayContaining([
        [PARAMETERS.config, 'last-known'],
        [PARAMETERS.flags, 'last-known'],
      ]),
    );
    expect(metricTotals(output)[METRICS.configFallback]).toBe(2);
    // Both parameters were asked again once (with the SDK's retries); then backoff: the second
    // request did not go back to the failing SSM.
    expect(new Set(ssm.calls.slice(2))).toEqual(new Set([PARAMETERS.config, PARAMETERS.flags]));
    expect(ssm.calls).toHaveLength(callsAfterFailure);
  });

  it('serves the documented defaults when SSM has never answered, and logs and counts it', async () => {
    const ssm = aws.setParameters();
    ssm.failing = true;
    const handler = createHandler(aws.env);

    const batch = await invoke(handler, postBatchEvent([validUpdate('SSM-DEF-1')], { requestId: 'req-ssm-def' }));

    // DEFAULT_FEATURE_FLAGS: batch_processing and enhanced_tracking on.
    expect(DEFAULT_FEATURE_FLAGS).toMatchObject({ batch_processing: true, enhanced_tracking: true });
    expect(batch.statusCode).toBe(200);
    expect((await aws.itemsOf('SSM-DEF-1'))[0].request_id).toBe('req-ssm-def');
    const warnings = logsAt('WARN').filter((l) => String(l.message).startsWith('SSM parameter unavailable'));
    expect(warnings.map((w) => w.using)).toEqual(['defaults', 'defaults']);
    expect(warnings[0].correlation_id).toBe('req-ssm-def');
    expect(metricTotals(output)[METRICS.configFallback]).toBe(2);
  });

  it('treats a malformed parameter like a missing one: defaults, logged and counted once', async () => {
    const ssm = aws.setParameters();
    ssm.set(PARAMETERS.flags, '{"batch_processing": "yes"}');
    ssm.set(PARAMETERS.config, 'not json');
    const handler = createHandler(aws.env);

    const first = await invoke(handler, postBatchEvent([validUpdate('SSM-BAD-1')]));
    const second = await invoke(handler, postTrackEvent(validUpdate('SSM-BAD-2')));

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(metricTotals(output)[METRICS.configFallback]).toBe(2);
  });

  it('never answers 5xx because of SSM, on either route', async () => {
    const ssm = aws.setParameters();
    ssm.failing = true;
    const handler = createHandler(aws.env);
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
    aws.setParameters();
    refusePuts();
    const handler = createHandler(aws.env);
    const at = Date.UTC(2024, 9, 1);
    freezeClock(at);

    const answer = await invoke(
      handler,
      postTrackEvent(validUpdate('PARK-1', { status: 'delivered' }), { requestId: 'req-park-1' }),
    );

    expect(answer.statusCode).toBe(202);
    expect(answer.body).toEqual({
      message: 'tracking update accepted and queued for storage',
      tracking_id: 'PARK-1',
      timestamp: at,
      queued: true,
    });
    expect(aws.parked()).toHaveLength(1);
    const parked = decodeParked(aws.parked()[0]);
    expect(parked).toMatchObject({
      tracking_id: 'PARK-1',
      timestamp: at,
      status: 'delivered',
      request_id: 'req-park-1',
    });
    expect(JSON.parse(aws.parked()[0])).toMatchObject({ version: 1, reason: 'unavailable' });
    expect(await aws.itemsOf('PARK-1')).toHaveLength(0);
    const totals = metricTotals(output);
    expect(totals[METRICS.updateParked]).toBe(1);
    expect(totals[METRICS.updateStored]).toBeUndefined();
  });

  it('replays the parked update into the table once, even when the same message is replayed twice', async () => {
    aws.setParameters();
    const refusal = refusePuts();
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, postTrackEvent(validUpdate('PARK-2', { metadata: { dock: 7 } })));
    expect(answer.statusCode).toBe(202);
    refusal();
    const message = aws.parked()[0];
    const store = new TrackingStore(aws.documents, aws.tableName);

    const summary = await replayParkedUpdates(replayOptions());

    expect(summary).toMatchObject({ received: 1, stored: 1, alreadyStored: 0, failed: 0, queuedBefore: 1 });
    expect(aws.parked()).toHaveLength(0);
    const items = await aws.itemsOf('PARK-2');
    expect(items).toHaveLength(1);
    expect(items[0]).toEqual(decodeParked(message));
    expect(items[0].timestamp).toBe(answer.body.timestamp);

    // The same message again (a duplicate delivery, or an operator replaying it by hand): one item.
    expect(await replayMessage(store, message)).toBe('already-stored');
    expect(await replayMessage(store, message)).toBe('already-stored');
    expect(await aws.itemsOf('PARK-2')).toEqual(items);
  });

  it('replays a redelivered message (stored, but its delete failed) without a second item', async () => {
    aws.setParameters();
    const refusal = refusePuts();
    const handler = createHandler(aws.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-3')))).statusCode).toBe(202);
    refusal();

    const failingDeletes = aws.fault('sqs:DeleteMessage=InternalError');
    const first = await replayParkedUpdates({ ...replayOptions(), visibilityTimeoutSeconds: 1 });
    failingDeletes();
    // The message comes back once its visibility timeout ends, as SQS redelivers it.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await replayParkedUpdates(replayOptions());

    expect(first).toMatchObject({ received: 1, stored: 1, notDeleted: 1 });
    expect(second).toMatchObject({ received: 1, stored: 0, alreadyStored: 1, notDeleted: 0 });
    expect(aws.parked()).toHaveLength(0);
    expect(await aws.itemsOf('PARK-3')).toHaveLength(1);
  });

  it('replays next to a live update that took the parked timestamp meanwhile: both kept, replay still idempotent', async () => {
    aws.setParameters();
    const handler = createHandler(aws.env);
    const at = Date.UTC(2024, 9, 2);
    freezeClock(at);
    const refusal = refusePuts();
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-4', { status: 'failed' })))).body.timestamp).toBe(
      at,
    );
    refusal();
    // DynamoDB is back; a live update in the same millisecond takes the free slot.
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-4', { status: 'pending' })))).body.timestamp).toBe(
      at,
    );
    const store = new TrackingStore(aws.documents, aws.tableName);
    const message = aws.parked()[0];

    expect(await replayMessage(store, message)).toBe('stored');
    expect(await replayMessage(store, message)).toBe('already-stored');

    const items = await aws.itemsOf('PARK-4');
    expect(items.map((i) => [i.timestamp, i.status])).toEqual([
      [at, 'pending'],
      [at + 1, 'failed'],
    ]);
  });

  it('runs as `npm run replay` (the CLI entry): drains the queue and prints the summary', async () => {
    aws.setParameters();
    const refusal = refusePuts();
    const handler = createHandler(aws.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-CLI')))).statusCode).toBe(202);
    refusal();
    const lines: string[] = [];

    const code = await replayMain(
      ['--wait', '0'],
      { [FUNCTION_ENV.queueUrl]: aws.queue.url, [FUNCTION_ENV.tableName]: aws.tableName },
      (line) => lines.push(line),
    );

    expect(code).toBe(0);
    expect(lines[lines.length - 1]).toBe('replay: received 1 (queue held ~1): stored 1, already stored 0, failed 0');
    expect(aws.parked()).toHaveLength(0);
    expect(await aws.itemsOf('PARK-CLI')).toHaveLength(1);
  });

  it('leaves a message whose write fails on the queue; a later run receives it after --visibility and stores it', async () => {
    aws.setParameters();
    const refusal = refusePuts();
    const handler = createHandler(aws.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-VIS')))).statusCode).toBe(202);
    const env = { [FUNCTION_ENV.queueUrl]: aws.queue.url, [FUNCTION_ENV.tableName]: aws.tableName };
    const lines: string[] = [];

    // DynamoDB still refuses: the message stays, hidden for the visibility timeout the run asked for.
    expect(await replayMain(['--wait', '0', '--visibility', '1'], env, (line) => lines.push(line))).toBe(1);
    expect(lines[lines.length - 1]).toBe('replay: received 1 (queue held ~1): stored 0, already stored 0, failed 1');
    expect(lines.some((line) => line.endsWith('left on the queue, to be received again after 1 s'))).toBe(true);
    refusal();
    // Still hidden: a run right away finds nothing.
    expect(await replayMain(['--wait', '0'], env, (line) => lines.push(line))).toBe(0);
    expect(lines[lines.length - 1]).toMatch(/^replay: received 0 .*: stored 0, already stored 0, failed 0$/);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await replayMain(['--wait', '0'], env, (line) => lines.push(line))).toBe(0);
    expect(lines[lines.length - 1]).toMatch(/^replay: received 1 .*: stored 1, already stored 0, failed 0$/);
    expect(aws.parked()).toHaveLength(0);
    expect(await aws.itemsOf('PARK-VIS')).toHaveLength(1);
  });

  it('leaves a message it cannot replay on the queue and reports it as unreplayable', async () => {
    await sqs().send(
      new SendMessageCommand({ QueueUrl: aws.queue.url, MessageBody: '{"version":1,"item":{"tracking_id":"X"}}' }),
    );
    const summary = await replayParkedUpdates(replayOptions());
    // No parked update at all: unreplayable (not `failed`, which a later run could replay).
    expect(summary).toMatchObject({ received: 1, stored: 0, failed: 0, unreplayable: 1 });
    expect(summary.unreplayables[0].reason).toMatch(/^parked item is invalid/);
    expect(aws.parked()).toHaveLength(1);
  });

  it('stores the good update beside a Lambda failure record and an unparsable body, reports both, terminates, exits 1', async () => {
    aws.setParameters();
    const refusal = refusePuts();
    const handler = createHandler(aws.env);
    expect((await invoke(handler, postTrackEvent(validUpdate('PARK-MIX')))).statusCode).toBe(202);
    refusal();
    // What Lambda sends a function's DLQ for a failed asynchronous invocation: the event itself.
    const lambdaRecord = JSON.stringify(apiEvent('POST', '/track', JSON.stringify(validUpdate('ASYNC-1')), null));
    const foreign = await sqs().send(new SendMessageCommand({ QueueUrl: aws.queue.url, MessageBody: lambdaRecord }));
    const garbled = await sqs().send(new SendMessageCommand({ QueueUrl: aws.queue.url, MessageBody: 'not json {' }));
    const lines: string[] = [];

    // Visibility 0: every message comes straight back; the run must still pass over what it handled.
    const summary = await replayParkedUpdates({ ...replayOptions(), visibilityTimeoutSeconds: 0 });
    expect(summary).toMatchObject({ received: 3, stored: 1, failed: 0, unreplayable: 2 });
    expect(summary.unreplayables).toEqual(
      expect.arrayContaining([
        { messageId: foreign.MessageId, reason: 'unsupported parked message version undefined' },
        { messageId: garbled.MessageId, reason: 'message body is not JSON' },
      ]),
    );
    expect(await aws.itemsOf('PARK-MIX')).toHaveLength(1);
    expect(aws.parked().sort()).toEqual([lambdaRecord, 'not json {'].sort());

    // The CLI: the same two are left, reported with their ids and reasons, and the exit code is 1.
    const code = await replayMain(
      ['--wait', '0'],
      { [FUNCTION_ENV.queueUrl]: aws.queue.url, [FUNCTION_ENV.tableName]: aws.tableName },
      (line) => lines.push(line),
    );
    expect(code).toBe(1);
    const summaryText = lines[lines.length - 1];
    expect(summaryText).toMatch(
      /^replay: received 2 \(queue held ~2\): stored 0, already stored 0, failed 0, unreplayable 2\n/,
    );
    expect(summaryText).toContain(`unreplayable ${foreign.MessageId}: unsupported parked message version undefined`);
    expect(summaryText).toContain(`unreplayable ${garbled.MessageId}: message body is not JSON`);
    expect(aws.parked()).toHaveLength(2);
  });

  it('parks each refused update of a batch and answers 202 listing each outcome', async () => {
    aws.setParameters();
    refusePuts();
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, postBatchEvent([validUpdate('PARK-B1'), validUpdate('PARK-B2')]));
    expect(answer.statusCode).toBe(202);
    expect(answer.body).toMatchObject({ stored: 0, queued: 2, count: 2 });
    expect(answer.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['queued', 'queued']);
    expect(
      aws
        .parked()
        .map((b) => decodeParked(b).tracking_id)
        .sort(),
    ).toEqual(['PARK-B1', 'PARK-B2']);
  });
});

describe('the queue refuses too: 503, so the client retries', () => {
  it('answers 503 in the error shape with Retry-After, counts the rejection, stores nothing', async () => {
    aws.setParameters();
    refuseSends();
    refusePuts();
    const handler = createHandler(aws.env);

    const answer = await invoke(handler, postTrackEvent(validUpdate('LOST-1'), { requestId: 'req-lost-1' }));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect(answer.body).toEqual({
      error: 'tracking update could not be stored; retry later',
      request_id: 'req-lost-1',
    });
    expect(aws.parked()).toHaveLength(0);
    expect(await aws.itemsOf('LOST-1')).toHaveLength(0);
    expect(metricTotals(output)[METRICS.updateLost]).toBe(1);
    expect(logsAt('ERROR').map((l) => l.message)).toContain('the queue refused the update too; the client must retry');
  });

  it('answers 503 when no queue is configured at all', async () => {
    aws.setParameters();
    refusePuts();
    const handler = createHandler({ ...aws.env, [FUNCTION_ENV.queueUrl]: '' });
    const answer = await invoke(handler, postTrackEvent(validUpdate('LOST-2')));
    expect(answer.statusCode).toBe(503);
  });

  it('names the updates to retry when part of a batch is rejected, in the plain error shape, and keeps the others', async () => {
    aws.setParameters();
    refuseSends();
    // The writes of PART-2 and PART-4 are refused (and so is the queue); PART-1's and PART-3's go through.
    const refused = new Set(['PART-2', 'PART-4']);
    aws.local.faults.add({
      service: 'dynamodb',
      operation: 'PutItem',
      error: 'ProvisionedThroughputExceededException',
      match: (input: Record<string, unknown>) =>
        refused.has(String((input.Item as { tracking_id?: { S?: string } } | undefined)?.tracking_id?.S)),
    });
    const handler = createHandler(aws.env);
    const ids = ['PART-1', 'PART-2', 'PART-3', 'PART-4'];

    const answer = await invoke(
      handler,
      postBatchEvent(
        ids.map((id) => validUpdate(id)),
        { requestId: 'req-part' },
      ),
    );

    expect(answer.statusCode).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    // Exactly {error, details, request_id}: no `results` (the error shape carries nothing else).
    expect(answer.body).toEqual({
      error: '2 of 4 tracking updates could not be stored; retry those (the others are kept)',
      details: [
        { field: 'updates[1]', message: 'could not be stored or queued; retry this update' },
        { field: 'updates[3]', message: 'could not be stored or queued; retry this update' },
      ],
      request_id: 'req-part',
    });
    // The others are kept, as the message says: stored, once each.
    for (const id of ['PART-1', 'PART-3']) {
      expect((await aws.itemsOf(id)).map((item) => [item.tracking_id, item.request_id])).toEqual([[id, 'req-part']]);
    }
    for (const id of ['PART-2', 'PART-4']) expect(await aws.itemsOf(id)).toEqual([]);
    expect(aws.parked()).toEqual([]);
    const totals = metricTotals(output);
    expect(totals[METRICS.updateStored]).toBe(2);
    expect(totals[METRICS.updateLost]).toBe(2);
  });

  it('answers a batch whose every update is rejected with 503 naming each of them', async () => {
    aws.setParameters();
    refuseSends();
    refusePuts();
    const handler = createHandler(aws.env);

    const answer = await invoke(handler, postBatchEvent([validUpdate('ALL-1'), validUpdate('ALL-2')]));

    expect(answer.statusCode).toBe(503);
    expect(answer.body.error).toBe('no tracking update could be stored; retry them');
    expect(answer.body.details.map((d: { field: string }) => d.field)).toEqual(['updates[0]', 'updates[1]']);
    expect(Object.keys(answer.body).sort()).toEqual(['details', 'error', 'request_id']);
    expect(await aws.itemsOf('ALL-1')).toEqual([]);
    expect(await aws.itemsOf('ALL-2')).toEqual([]);
  });
});

describe('the real SDK path to an unhealthy DynamoDB', () => {
  const putCalls = () => aws.local.calls.of('dynamodb', 'PutItem').length;

  it('retries a 500 with the standard strategy, then parks (202) after exactly the configured attempts', async () => {
    aws.setParameters();
    aws.fault('dynamodb:PutItem=InternalServerError');
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, postTrackEvent(validUpdate('SDK-500')));
    expect(answer.statusCode).toBe(202);
    expect(putCalls()).toBe(SDK_MAX_ATTEMPTS);
    expect(aws.parked()).toHaveLength(1);
  });

  it('gives up on a DynamoDB that never answers in time to park within the time the function has left', async () => {
    aws.setParameters();
    aws.fault('dynamodb:PutItem=+60000ms');
    const handler = createHandler(aws.env);
    const remainingMs = 3000;
    const started = Date.now();
    const answer = await invoke(handler, postTrackEvent(validUpdate('SDK-HANG')), lambdaContext(remainingMs));
    expect(Date.now() - started).toBeLessThan(remainingMs);
    expect(answer.statusCode).toBe(202);
    expect(aws.parked()).toHaveLength(1);
    expect(putCalls()).toBeGreaterThanOrEqual(1);
  });
});

describe('unexpected failures', () => {
  it('answers 500 without internals, and logs the error with its stack', async () => {
    aws.setParameters();
    // An error that is neither transient nor a misconfiguration (classifyAwsError: a bug): DynamoDB
    // could not even parse the request. (A ValidationException is a configuration error now.)
    aws.fault('dynamodb:Query=SerializationException');
    const handler = createHandler(aws.env);

    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'BOOM-1' }, { requestId: 'req-boom' }));

    expect(answer.statusCode).toBe(500);
    expect(answer.body).toEqual({ error: 'internal error', request_id: 'req-boom' });
    const [logged] = logsAt('ERROR').filter((l) => l.message === 'unhandled error');
    expect(logged).toMatchObject({
      correlation_id: 'req-boom',
      error: { name: 'SerializationException', message: 'injected fault (dynamodb:Query)' },
    });
    expect(String((logged.error as { stack: string }).stack)).toContain('SerializationException');
    expect(metricTotals(output)[METRICS.unhandledError]).toBe(1);
  });

  it('answers 503 (not 500) when DynamoDB refuses a status query after retries', async () => {
    aws.setParameters();
    aws.fault('dynamodb:Query=ProvisionedThroughputExceededException');
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'SLOW-1' }));
    expect(answer.statusCode).toBe(503);
    expect(answer.body.error).toBe('tracking history is temporarily unavailable; retry later');
    expect(metricTotals(output)[METRICS.statusUnavailable]).toBe(1);
  });

  it('answers 500 when the function has no table configured, without naming it to the client', async () => {
    aws.setParameters();
    const handler = createHandler({ ...aws.env, [FUNCTION_ENV.tableName]: '' });
    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'NOTABLE' }));
    expect(answer.statusCode).toBe(500);
    expect(answer.body.error).toBe('internal error');
  });
});

describe('DynamoDB refuses because the stack is misconfigured: nothing lost, counted apart', () => {
  const putCalls = () => aws.local.calls.of('dynamodb', 'PutItem').length;

  it.each(['AccessDeniedException', 'ResourceNotFoundException', 'ValidationException', 'UnrecognizedClientException'])(
    'parks the update on a %s from PutItem (202 queued) and counts a ConfigurationError',
    async (code) => {
      aws.setParameters();
      aws.fault(`dynamodb:PutItem=${code}`);
      const handler = createHandler(aws.env);

      const answer = await invoke(handler, postTrackEvent(validUpdate(`CONF-${code}`)));

      expect(answer.statusCode).toBe(202);
      expect(answer.body).toMatchObject({ tracking_id: `CONF-${code}`, queued: true });
      // Not retried by the SDK (a 400 that is no throttling), parked at once.
      expect(putCalls()).toBe(1);
      expect(aws.parked()).toHaveLength(1);
      expect(JSON.parse(aws.parked()[0])).toMatchObject({ version: 1, reason: 'configuration' });
      const totals = metricTotals(output);
      expect(totals[METRICS.configurationError]).toBe(1);
      expect(totals[METRICS.updateParked]).toBe(1);
      expect(totals[METRICS.unhandledError]).toBeUndefined();
      const [logged] = logsAt('ERROR').filter((l) => String(l.message).includes('the stack is misconfigured'));
      expect(logged).toMatchObject({ tracking_id: `CONF-${code}`, reason: 'configuration', error: { name: code } });
    },
  );

  it('parks a throttled update without counting a ConfigurationError', async () => {
    aws.setParameters();
    refusePuts();
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, postTrackEvent(validUpdate('CONF-THROTTLED')));
    expect(answer.statusCode).toBe(202);
    expect(aws.parked()).toHaveLength(1);
    expect(JSON.parse(aws.parked()[0])).toMatchObject({ reason: 'unavailable' });
    const totals = metricTotals(output);
    expect(totals[METRICS.updateParked]).toBe(1);
    expect(totals[METRICS.configurationError]).toBeUndefined();
  });

  it('answers GET /status 503 on an AccessDeniedException, counted as ConfigurationError (and StatusUnavailable)', async () => {
    aws.setParameters();
    aws.fault('dynamodb:Query=AccessDeniedException');
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, getStatusEvent({ tracking_id: 'CONF-READ' }));
    expect(answer.statusCode).toBe(503);
    expect(answer.body.error).toBe('tracking history is temporarily unavailable; retry later');
    const totals = metricTotals(output);
    expect(totals[METRICS.configurationError]).toBe(1);
    expect(totals[METRICS.statusUnavailable]).toBe(1);
    expect(totals[METRICS.unhandledError]).toBeUndefined();
  });

  it('answers GET /shipments 503 on a ResourceNotFoundException, counted as ConfigurationError', async () => {
    aws.setParameters();
    aws.fault('dynamodb:Query=ResourceNotFoundException');
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, apiEvent('GET', '/shipments', null, { status: 'in_transit' }));
    expect(answer.statusCode).toBe(503);
    const totals = metricTotals(output);
    expect(totals[METRICS.configurationError]).toBe(1);
    expect(totals[METRICS.shipmentsUnavailable]).toBe(1);
  });

  it('answers a throttled read 503 without counting a ConfigurationError', async () => {
    aws.setParameters();
    aws.fault('dynamodb:Query=ThrottlingException');
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, apiEvent('GET', '/shipments', null, { status: 'delivered' }));
    expect(answer.statusCode).toBe(503);
    const totals = metricTotals(output);
    expect(totals[METRICS.shipmentsUnavailable]).toBe(1);
    expect(totals[METRICS.configurationError]).toBeUndefined();
  });
});
