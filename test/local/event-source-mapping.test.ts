/**
 * The local event source mapping (local/runtime/event-source-mapping.ts) over a local stream. The
 * function under the mapping is a fake `invoke` written here (it answers what each test needs); the
 * on-failure destination is the local SQS, reached with the real @aws-sdk/client-sqs.
 */
import { DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STREAM_FILTER_PATTERN } from '../../lambda/contract';
import { LOCAL_ACCOUNT_ID, startLocalAws } from '../../local/aws';
import { CallLog, FaultInjector } from '../../local/aws/faults';
import { startSqs, type LocalSqs } from '../../local/aws/sqs';
import { LocalStream, type StreamRecord } from '../../local/aws/stream';
import {
  sqsFailureDestination,
  startEventSourceMapping,
  type EventSourceMapping,
  type EventSourceMappingOptions,
  type StreamFailureRecord,
  type StreamMappingSettings,
} from '../../local/runtime/event-source-mapping';
import { FilterPatternError } from '../../local/runtime/filter-pattern';
import type { InvokeOutcome } from '../../local/runtime/lambda-runtime';

const region = 'us-west-2';
const SETTINGS: StreamMappingSettings = {
  batchSize: 100,
  batchWindowSeconds: 0,
  maxRetries: 2,
  maxRecordAgeSeconds: -1,
};
const OK: InvokeOutcome = { ok: true, payload: { batchItemFailures: [] } };
const ERROR: InvokeOutcome = { ok: false, errorType: 'Error', errorMessage: 'boom' };

const labelOf = (record: StreamRecord) => String(record.dynamodb.Keys.tracking_id.S);
const sequenceOf = (record: StreamRecord) => record.dynamodb.SequenceNumber;
const failures = (...records: StreamRecord[]): InvokeOutcome => ({
  ok: true,
  payload: { batchItemFailures: records.map((r) => ({ itemIdentifier: sequenceOf(r) })) },
});

function newStream(now?: () => number): LocalStream {
  return new LocalStream({ tableName: 'esm-test-table', region, accountId: LOCAL_ACCOUNT_ID, now });
}

let timestamp = 1700000000000;
/** A new history item (INSERT) labelled by its tracking_id. */
function insert(stream: LocalStream, label: string, ts = ++timestamp): StreamRecord {
  const keys = { tracking_id: { S: label }, timestamp: { N: String(ts) } };
  return stream.append({ keys, newImage: { ...keys, status: { S: 'in_transit' } } })!;
}

/** The function under the mapping: records every batch it is given (by label) and answers as told. */
function fakeFunction(answer: (records: StreamRecord[], call: number) => InvokeOutcome | Promise<InvokeOutcome>) {
  const batches: string[][] = [];
  const invoke = async (event: { Records: StreamRecord[] }) => {
    batches.push(event.Records.map(labelOf));
    return answer(event.Records, batches.length);
  };
  return { invoke, batches };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local event source mapping (DynamoDB stream -> function)', () => {
  const mappings: EventSourceMapping[] = [];
  const start = (options: EventSourceMappingOptions) => {
    const mapping = startEventSourceMapping(options);
    mappings.push(mapping);
    return mapping;
  };
  /** A destination that keeps what it is sent. */
  const destination = () => {
    const sent: StreamFailureRecord[] = [];
    return { sent, onFailure: async (record: StreamFailureRecord) => void sent.push(record) };
  };

  afterEach(async () => {
    await Promise.all(mappings.splice(0).map((m) => m.stop()));
  });

  it('delivers only the records the filter accepts (new history items), in order; the rest never reach the function', async () => {
    const stream = newStream();
    const fn = fakeFunction(() => OK);
    const mapping = start({ stream, filter: STREAM_FILTER_PATTERN, settings: SETTINGS, invoke: fn.invoke });
    insert(stream, 'h1');
    insert(stream, 'state', 0); // the consumer's own state record
    const keys = { tracking_id: { S: 'h1-mod' }, timestamp: { N: '5' } };
    stream.append({ keys, newImage: keys });
    stream.append({ keys, oldImage: keys, newImage: { ...keys, status: { S: 'x' } } }); // MODIFY
    insert(stream, 'h2');
    await mapping.idle();
    expect(fn.batches.flat()).toEqual(['h1', 'h1-mod', 'h2']);
    expect(mapping.stats()).toMatchObject({ filtered: 2, processed: 3, discarded: 0 });
  });

  it('batches at most batchSize records, oldest first', async () => {
    const stream = newStream();
    for (let i = 1; i <= 7; i++) insert(stream, `r${i}`);
    const fn = fakeFunction(() => OK);
    const mapping = start({ stream, settings: { ...SETTINGS, batchSize: 3 }, invoke: fn.invoke });
    await mapping.idle();
    expect(fn.batches).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
  });

  it('the event is a DynamoDB stream event: the records as the stream holds them', async () => {
    const stream = newStream();
    const events: unknown[] = [];
    const invocations: { requestId: string; traceId: string }[] = [];
    const mapping = start({
      stream,
      settings: SETTINGS,
      invoke: async (event, invocation) => {
        events.push(event);
        invocations.push(invocation);
        return { ok: true, payload: null };
      },
    });
    const record = insert(stream, 'e1');
    await mapping.idle();
    expect(events).toEqual([{ Records: [record] }]);
    expect(invocations[0].requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(invocations[0].traceId).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  });

  it('waits batchWindowSeconds from the first waiting record, unless the batch fills first', async () => {
    const stream = newStream();
    const fn = fakeFunction(() => OK);
    const mapping = start({
      stream,
      settings: { ...SETTINGS, batchSize: 3, batchWindowSeconds: 1 },
      invoke: fn.invoke,
    });
    const started = Date.now();
    insert(stream, 'w1');
    await sleep(300);
    insert(stream, 'w2');
    await sleep(300);
    expect(fn.batches).toEqual([]);
    await mapping.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fn.batches).toEqual([['w1', 'w2']]);

    // A full batch does not wait for the window.
    const fullAt = Date.now();
    for (const label of ['f1', 'f2', 'f3', 'f4']) insert(stream, label);
    await sleep(200);
    expect(fn.batches.slice(1)).toEqual([['f1', 'f2', 'f3']]);
    await mapping.idle();
    expect(fn.batches.slice(1)).toEqual([['f1', 'f2', 'f3'], ['f4']]);
    expect(Date.now() - fullAt).toBeGreaterThanOrEqual(950);
  });

  it('a partial failure: the records before the lowest failed one are done, the rest of the batch is retried', async () => {
    const stream = newStream();
    const records = ['p1', 'p2', 'p3', 'p4', 'p5'].map((label) => insert(stream, label));
    // The first answer lists p4 and p2 (out of order): the retry starts at p2.
    const fn = fakeFunction((_batch, call) => (call === 1 ? failures(records[3], records[1]) : OK));
    const mapping = start({ stream, settings: SETTINGS, invoke: fn.invoke });
    await mapping.idle();
    expect(fn.batches).toEqual([
      ['p1', 'p2', 'p3', 'p4', 'p5'],
      ['p2', 'p3', 'p4', 'p5'],
    ]);
    expect(mapping.stats()).toMatchObject({ invocations: 2, processed: 5, discarded: 0 });
  });

  it('a partial failure that keeps failing: after maxRetries retries, one failure record for the failing part', async () => {
    const stream = newStream();
    const records = ['q1', 'q2', 'q3'].map((label) => insert(stream, label));
    const fn = fakeFunction((batch) => (batch.includes(records[1]) ? failures(records[1]) : OK));
    const { sent, onFailure } = destination();
    const mapping = start({ stream, settings: { ...SETTINGS, maxRetries: 2 }, invoke: fn.invoke, onFailure });
    await mapping.idle();
    // q1 is done at the first answer; [q2, q3] is retried twice, then recorded.
    expect(fn.batches).toEqual([
      ['q1', 'q2', 'q3'],
      ['q2', 'q3'],
      ['q2', 'q3'],
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0].requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    // The function answered (with its failures): no functionError.
    expect(sent[0].responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    expect(sent[0].DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: sequenceOf(records[1]),
      endSequenceNumber: sequenceOf(records[2]),
      batchSize: 2,
    });
    // And moves on.
    insert(stream, 'q4');
    await mapping.idle();
    expect(fn.batches.at(-1)).toEqual(['q4']);
    expect(mapping.stats()).toMatchObject({ processed: 2, discarded: 2, failureRecords: 1 });
  });

  it('a function error bisects the batch; a poison record ends alone on the destination (SQS), and the mapping moves on', async () => {
    const sqs: LocalSqs = await startSqs(['stream-failures'], {
      faults: new FaultInjector(),
      calls: new CallLog(),
      region,
      accountId: LOCAL_ACCOUNT_ID,
    });
    const client = new SQSClient({
      region,
      endpoint: sqs.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const queue = sqs.queue('stream-failures');
      const stream = newStream();
      const records = ['b1', 'b2', 'b3', 'b4'].map((label) => insert(stream, label));
      const fn = fakeFunction((batch) => (batch.includes(records[2]) ? ERROR : OK));
      const mapping = start({
        stream,
        settings: { ...SETTINGS, maxRetries: 2 },
        invoke: fn.invoke,
        onFailure: sqsFailureDestination(client, queue.url),
        functionArn: 'arn:aws:lambda:us-west-2:123456789012:function:tracking-consumer-test',
      });
      await mapping.idle();
      expect(fn.batches).toEqual([
        ['b1', 'b2', 'b3', 'b4'],
        ['b1', 'b2'],
        ['b3', 'b4'],
        ['b3'], // alone: the first failure that is retried as it is
        ['b3'], // retry 1
        ['b3'], // retry 2, then the destination
        ['b4'],
      ]);
      const messages = queue.messages();
      expect(messages).toHaveLength(1);
      const failure = JSON.parse(messages[0].body) as StreamFailureRecord;
      const arrival = new Date(records[2].dynamodb.ApproximateCreationDateTime * 1000)
        .toISOString()
        .replace('.000Z', 'Z');
      expect(failure).toEqual({
        requestContext: {
          requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          functionArn: 'arn:aws:lambda:us-west-2:123456789012:function:tracking-consumer-test',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 5,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        DDBStreamBatchInfo: {
          shardId: stream.shardId,
          startSequenceNumber: sequenceOf(records[2]),
          endSequenceNumber: sequenceOf(records[2]),
          approximateArrivalOfFirstRecord: arrival,
          approximateArrivalOfLastRecord: arrival,
          batchSize: 1,
          streamArn: stream.streamArn,
        },
      });
      expect(arrival).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // Not the records themselves.
      expect(messages[0].body).not.toContain('NewImage');

      // The mapping goes on with what comes next.
      insert(stream, 'b5');
      await mapping.idle();
      expect(fn.batches.at(-1)).toEqual(['b5']);
      expect(mapping.stats()).toMatchObject({ processed: 4, discarded: 1, failureRecords: 1 });
    } finally {
      client.destroy();
      await sqs.close();
    }
  });

  it('without bisecting, a failing batch is retried whole, then recorded whole', async () => {
    const stream = newStream();
    const records = ['n1', 'n2', 'n3'].map((label) => insert(stream, label));
    const fn = fakeFunction(() => ERROR);
    const { sent, onFailure } = destination();
    const mapping = start({
      stream,
      settings: { ...SETTINGS, maxRetries: 1, bisectBatchOnFunctionError: false },
      invoke: fn.invoke,
      onFailure,
    });
    await mapping.idle();
    expect(fn.batches).toEqual([
      ['n1', 'n2', 'n3'],
      ['n1', 'n2', 'n3'],
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0].requestContext.approximateInvokeCount).toBe(2);
    expect(sent[0].DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: sequenceOf(records[0]),
      endSequenceNumber: sequenceOf(records[2]),
      batchSize: 3,
    });
  });

  it('maxRetries 0: no retry, but bisecting still isolates the bad record', async () => {
    const stream = newStream();
    const records = ['z1', 'z2'].map((label) => insert(stream, label));
    const fn = fakeFunction((batch) => (batch.includes(records[1]) ? ERROR : OK));
    const { sent, onFailure } = destination();
    const mapping = start({ stream, settings: { ...SETTINGS, maxRetries: 0 }, invoke: fn.invoke, onFailure });
    await mapping.idle();
    expect(fn.batches).toEqual([['z1', 'z2'], ['z1'], ['z2']]);
    expect(sent.map((s) => s.DDBStreamBatchInfo.startSequenceNumber)).toEqual([sequenceOf(records[1])]);
  });

  const answers: [name: string, payload: unknown, failed: boolean][] = [
    ['no answer (null)', null, false],
    ['{}', {}, false],
    ['an empty batchItemFailures', { batchItemFailures: [] }, false],
    ['a null batchItemFailures', { batchItemFailures: null }, false],
    ['a string', 'ok', true],
    ['batchItemFailures not a list', { batchItemFailures: 'r1' }, true],
    ['an item without itemIdentifier', { batchItemFailures: [{ id: 'x' }] }, true],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }, true],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }, true],
    ['an itemIdentifier not in the batch', { batchItemFailures: [{ itemIdentifier: '42' }] }, true],
  ];

  it.each(answers)('the answer: %s', async (_name, payload, failed) => {
    const stream = newStream();
    insert(stream, 'a1');
    insert(stream, 'a2');
    const fn = fakeFunction((_batch, call) => (call === 1 ? { ok: true, payload } : OK));
    const mapping = start({ stream, settings: SETTINGS, invoke: fn.invoke });
    await mapping.idle();
    // A malformed answer fails the whole batch, as a function error does: bisected.
    expect(fn.batches).toEqual(failed ? [['a1', 'a2'], ['a1'], ['a2']] : [['a1', 'a2']]);
  });

  it('without ReportBatchItemFailures, any answer is a success', async () => {
    const stream = newStream();
    const records = [insert(stream, 'x1'), insert(stream, 'x2')];
    const fn = fakeFunction(() => failures(records[0]));
    const mapping = start({ stream, settings: { ...SETTINGS, reportBatchItemFailures: false }, invoke: fn.invoke });
    await mapping.idle();
    expect(fn.batches).toEqual([['x1', 'x2']]);
  });

  it('a record older than maxRecordAgeSeconds goes to the destination instead of another retry', async () => {
    let clock = 1_800_000_000_000;
    const now = () => clock;
    const stream = newStream(now);
    const record = insert(stream, 'old1');
    // Every invocation fails and takes 30 s.
    const fn = fakeFunction(() => {
      clock += 30_000;
      return ERROR;
    });
    const { sent, onFailure } = destination();
    const mapping = start({
      stream,
      settings: { ...SETTINGS, maxRetries: -1, maxRecordAgeSeconds: 60 },
      invoke: fn.invoke,
      onFailure,
      now,
    });
    await mapping.idle();
    // Invoked at ages 0, 30 and 60 s; at 90 s it is too old.
    expect(fn.batches).toEqual([['old1'], ['old1'], ['old1']]);
    expect(sent).toHaveLength(1);
    expect(sent[0].requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 3 });
    expect(sent[0].responseContext).toEqual({
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
    });
    expect(sent[0].timestamp).toBe(new Date(clock).toISOString());
    expect(sent[0].DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: sequenceOf(record),
      approximateArrivalOfFirstRecord: '2027-01-15T08:00:00Z',
      batchSize: 1,
    });
  });

  it('records already too old are sent to the destination without invoking; younger ones are delivered', async () => {
    let clock = 1_800_000_000_000;
    const now = () => clock;
    const stream = newStream(now);
    const old = [insert(stream, 'o1'), insert(stream, 'o2')];
    clock += 120_000;
    insert(stream, 'y1');
    const fn = fakeFunction(() => OK);
    const { sent, onFailure } = destination();
    const mapping = start({
      stream,
      settings: { ...SETTINGS, maxRecordAgeSeconds: 60 },
      invoke: fn.invoke,
      onFailure,
      now,
    });
    await mapping.idle();
    expect(fn.batches).toEqual([['y1']]);
    expect(sent).toHaveLength(1);
    expect(sent[0].requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    expect(sent[0].responseContext).toBeUndefined();
    expect(sent[0].DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: sequenceOf(old[0]),
      endSequenceNumber: sequenceOf(old[1]),
      batchSize: 2,
    });
  });

  it('keeps the order through partial failures, function errors and bisects: each record is done once, in stream order', async () => {
    const stream = newStream();
    const labels = Array.from({ length: 40 }, (_, i) => `o${i}`);
    const seen = new Map<string, number>();
    const done: string[] = [];
    const fn = fakeFunction((batch) => {
      for (const r of batch) seen.set(labelOf(r), (seen.get(labelOf(r)) ?? 0) + 1);
      const first = (i: number) => seen.get(labelOf(batch[i])) === 1;
      // Every 7th record breaks the function the first time it is seen; every 5th fails as an item once.
      if (batch.some((r, i) => Number(labelOf(r).slice(1)) % 7 === 3 && first(i))) return ERROR;
      const failing = batch.filter((r, i) => Number(labelOf(r).slice(1)) % 5 === 2 && first(i));
      const lowest = failing.length ? batch.indexOf(failing[0]) : batch.length;
      done.push(...batch.slice(0, lowest).map(labelOf));
      return failing.length ? failures(...failing) : OK;
    });
    const mapping = start({ stream, settings: { ...SETTINGS, batchSize: 6, maxRetries: -1 }, invoke: fn.invoke });
    for (const label of labels.slice(0, 20)) insert(stream, label);
    await sleep(5);
    for (const label of labels.slice(20)) insert(stream, label);
    await mapping.idle();
    expect(done).toEqual(labels);
    expect(mapping.stats()).toMatchObject({ processed: 40, discarded: 0 });
  });

  it('an invoke that could not be made (throttled) is retried without counting a retry', async () => {
    const stream = newStream();
    insert(stream, 't1');
    const fn = fakeFunction((_batch, call) => {
      if (call <= 2) throw Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' });
      return OK;
    });
    const { sent, onFailure } = destination();
    const lines: string[] = [];
    const mapping = start({
      stream,
      settings: { ...SETTINGS, maxRetries: 0 },
      invoke: fn.invoke,
      onFailure,
      log: (line) => lines.push(line),
    });
    await mapping.idle();
    expect(fn.batches).toEqual([['t1'], ['t1'], ['t1']]);
    expect(sent).toEqual([]);
    expect(mapping.stats()).toMatchObject({ invocations: 1, processed: 1 });
    expect(lines.filter((l) => l.includes('could not invoke (Rate Exceeded.)'))).toHaveLength(2);
  });

  it('a destination that refuses is tried again: nothing is skipped unrecorded', async () => {
    const stream = newStream();
    insert(stream, 'd1');
    let attempts = 0;
    const sent: StreamFailureRecord[] = [];
    const mapping = start({
      stream,
      settings: { ...SETTINGS, maxRetries: 0 },
      invoke: async () => ERROR,
      onFailure: async (record) => {
        attempts += 1;
        if (attempts === 1) throw new Error('QueueDoesNotExist');
        sent.push(record);
      },
    });
    await mapping.idle();
    expect(attempts).toBe(2);
    expect(sent).toHaveLength(1);
  });

  it('stop() waits for the batch in flight, then delivers nothing more', async () => {
    const stream = newStream();
    let release!: () => void;
    const fn = fakeFunction(
      () =>
        new Promise<InvokeOutcome>((resolve) => {
          release = () => resolve(OK);
        }),
    );
    const mapping = startEventSourceMapping({ stream, settings: SETTINGS, invoke: fn.invoke });
    insert(stream, 's1');
    while (fn.batches.length === 0) await sleep(5);
    insert(stream, 's2');
    let stopped = false;
    const stopping = mapping.stop().then(() => (stopped = true));
    await sleep(50);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(fn.batches).toEqual([['s1']]);
    expect(mapping.stats()).toMatchObject({ invocations: 1, processed: 1 });
    insert(stream, 's3');
    await sleep(20);
    expect(fn.batches).toEqual([['s1']]);
    await expect(mapping.idle()).rejects.toThrow('stopped');
  });

  it('idle() resolves at once with nothing to do; LATEST skips what the stream held before', async () => {
    const stream = newStream();
    const fn = fakeFunction(() => OK);
    const empty = start({ stream, settings: SETTINGS, invoke: fn.invoke });
    await empty.idle();
    insert(stream, 'before');
    const latest = start({ stream, settings: SETTINGS, invoke: fn.invoke, startingPosition: 'LATEST' });
    await latest.idle();
    insert(stream, 'after');
    await Promise.all([empty.idle(), latest.idle()]);
    // The TRIM_HORIZON mapping saw both, the LATEST one only the record written after it started.
    expect(fn.batches.flat().sort()).toEqual(['after', 'after', 'before']);
  });

  it("from the local DynamoDB: the product's puts reach the function, its own state-record writes do not", async () => {
    const table = 'esm-integration-table';
    const aws = await startLocalAws({ region, tables: [table], queues: [], parameters: {} });
    const client = new DynamoDBClient({
      region,
      endpoint: aws.endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const stream = aws.streams(table);
      const delivered: StreamRecord[] = [];
      const mapping = start({
        stream,
        filter: STREAM_FILTER_PATTERN,
        settings: SETTINGS,
        invoke: async (event) => {
          delivered.push(...event.Records);
          // The consumer keeps the shipment's state under timestamp 0.
          for (const record of event.Records) {
            await client.send(
              new PutItemCommand({
                TableName: table,
                Item: { ...record.dynamodb.NewImage, timestamp: { N: '0' } } as Record<string, AttributeValue>,
              }),
            );
          }
          return OK;
        },
      });
      for (const [ts, status] of [
        [1700000000001, 'pending'],
        [1700000000002, 'in_transit'],
      ] as const) {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { tracking_id: { S: 'INT-1' }, timestamp: { N: String(ts) }, status: { S: status } },
          }),
        );
        await mapping.idle();
      }
      await mapping.idle(); // the state records written meanwhile, filtered out
      expect(delivered.map((r) => [r.eventName, r.dynamodb.Keys.timestamp.N])).toEqual([
        ['INSERT', '1700000000001'],
        ['INSERT', '1700000000002'],
      ]);
      // The stream holds the state record's INSERT and MODIFY too; the filter dropped them.
      expect(stream.records().map((r) => [r.eventName, r.dynamodb.Keys.timestamp.N])).toEqual([
        ['INSERT', '1700000000001'],
        ['INSERT', '0'],
        ['INSERT', '1700000000002'],
        ['MODIFY', '0'],
      ]);
      expect(mapping.stats()).toMatchObject({ processed: 2, filtered: 2 });
      await mapping.stop();
    } finally {
      client.destroy();
      await aws.close();
    }
  });

  it('refuses a filter it cannot evaluate, and impossible settings, when it starts', () => {
    const stream = newStream();
    const invoke = async () => OK;
    expect(() =>
      startEventSourceMapping({ stream, filter: { eventName: [{ wildcard: 'IN*' }] }, settings: SETTINGS, invoke }),
    ).toThrow(FilterPatternError);
    expect(() => startEventSourceMapping({ stream, settings: { ...SETTINGS, batchSize: 0 }, invoke })).toThrow(
      'batchSize must be an integer >= 1',
    );
    expect(() => startEventSourceMapping({ stream, settings: { ...SETTINGS, maxRetries: -2 }, invoke })).toThrow(
      'maxRetries must be an integer >= -1',
    );
  });
});
