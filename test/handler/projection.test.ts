/**
 * The stream consumer against the local DynamoDB, in process: history items (INSERT records built
 * with the SDK's marshall, in Lambda's event shape) become each shipment's state record under
 * `timestamp` 0, by conditional writes, whatever the arrival order and however often a record is
 * delivered; each state keeps the status it replaced (`previous_status`), and a redelivered record
 * finds the state already reflecting it ('current'); a record that fails is exactly one batch item
 * failure; metrics count every outcome. (The status-change events: events.test.ts.)
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { SDK_MAX_ATTEMPTS } from '../../lambda/aws-clients';
import { createConsumer, type ConsumerHandler } from '../../lambda/consumer-app';
import { METRICS, OBSERVABILITY, STATUSES, TRACKING_TABLE, type TrackingStatus } from '../../lambda/contract';
import {
  StateProjection,
  isTransition,
  toHistoryUpdate,
  type ProjectionOutcome,
  type ProjectionResult,
} from '../../lambda/projection';
import { statusShard } from '../../lambda/shard';
import { updatedKey, type StateRecord } from '../../lambda/state';
import { buildBundle } from '../../lib/bundle';
import {
  ENVIRONMENT,
  captureOutput,
  emfBlobs,
  metricTotals,
  startTestAws,
  type OutputCapture,
  type TestAws,
} from '../helpers/handler-harness';
import { consumerContext, newTrackingId, scanImage, streamEvents, type Scan } from '../helpers/stream-events';

let aws: TestAws;
let output: OutputCapture;
/** The consumer's environment: its own description's variables (lib/functions.ts) and the SDK's endpoints. */
let consumerEnv: NodeJS.ProcessEnv;
const SHARDS = TRACKING_TABLE.defaultStatusShardCount;

beforeAll(async () => {
  aws = await startTestAws();
  consumerEnv = aws.consumerEnv;
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

// --- Updates, states and the table -----------------------------------------------------------------

const T = Date.UTC(2026, 2, 1, 9, 0, 0);
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

const newId = newTrackingId;
const image = scanImage;

/** The state record `winner` makes, with `firstSeen` and the status it replaced: every field, nothing else. */
function expectedState(
  trackingId: string,
  winner: Scan,
  firstSeen: number,
  previous: TrackingStatus | null,
  shards: number = SHARDS,
): StateRecord {
  const status = winner.status ?? 'in_transit';
  return {
    tracking_id: trackingId,
    timestamp: TRACKING_TABLE.stateTimestamp,
    status,
    previous_status: previous,
    status_shard: statusShard(status, trackingId, shards),
    updated_key: updatedKey(winner.at, trackingId),
    updated_at: winner.at,
    event_time: iso(winner.at),
    location: { lat: winner.lat ?? 52.52, lng: 13.405 },
    update_id: winner.uid ?? `${trackingId}-${winner.ts}`,
    update_timestamp: winner.ts,
    first_seen: firstSeen,
    environment: ENVIRONMENT,
  };
}

async function stateOf(trackingId: string): Promise<Record<string, unknown> | undefined> {
  const answer = await aws.documents.send(
    new GetCommand({
      TableName: aws.tableName,
      Key: { tracking_id: trackingId, timestamp: TRACKING_TABLE.stateTimestamp },
      ConsistentRead: true,
    }),
  );
  return answer.Item;
}

/** The local stream's records of a shipment's items (the state record's included). */
const streamRecordsOf = (trackingId: string) =>
  aws.local
    .streams(aws.tableName)
    .records()
    .filter((record) => record.dynamodb.Keys.tracking_id?.S === trackingId);

/** The state record as DynamoDB stores it (attribute values, as JSON). */
async function rawStateOf(trackingId: string): Promise<string> {
  const answer = await aws.client.send(
    new GetItemCommand({
      TableName: aws.tableName,
      Key: { tracking_id: { S: trackingId }, timestamp: { N: String(TRACKING_TABLE.stateTimestamp) } },
      ConsistentRead: true,
    }),
  );
  return JSON.stringify(answer.Item);
}

const projection = () =>
  new StateProjection(aws.documents, aws.tableName, { environment: ENVIRONMENT, statusShardCount: SHARDS });

const consumer = (env: NodeJS.ProcessEnv = consumerEnv): ConsumerHandler => createConsumer(env);

const invoke = (handler: ConsumerHandler, event: DynamoDBStreamEvent) => handler(event, consumerContext());

const sequenceOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber as string;

/** The consumer's "not projected" log lines. */
const failureLines = () => output.json('all').filter((line) => line.message === 'stream record not projected');

const ORDER_INDEPENDENT_METRICS = [METRICS.stateUpdated, METRICS.stateUnchanged, METRICS.projectionFailed];
const outcomeTotals = () =>
  Object.fromEntries(ORDER_INDEPENDENT_METRICS.map((name) => [name, metricTotals(output)[name] ?? 0]));

// --- The rules ---------------------------------------------------------------------------------------

interface RuleCase {
  name: string;
  /** In arrival order. */
  scans: Scan[];
  outcomes: ProjectionOutcome[];
  /** Index into `scans` of the update the state must reflect. */
  winner: number;
  firstSeen: number;
  /** The status the winner replaced (null: it made the state). */
  previous: TrackingStatus | null;
}

const A: Scan = { ts: T + 10 * MINUTE, at: T, status: 'pending', lat: 10, uid: 'scan-a' };
const B: Scan = { ts: T + 20 * MINUTE, at: T + 15 * MINUTE, status: 'in_transit', lat: 20, uid: 'scan-b' };
const C: Scan = { ts: T + 30 * MINUTE, at: T + 25 * MINUTE, status: 'delivered', lat: 30, uid: 'scan-c' };
/** A scan made before A, uploaded after C (a scanner that was offline). */
const OLD: Scan = { ts: T + 40 * MINUTE, at: T - 60 * MINUTE, status: 'pending', lat: 1, uid: 'scan-old' };
/** Made between A and B, uploaded last: older than the state, not older than first_seen. */
const MIDDLE: Scan = { ts: T + 41 * MINUTE, at: T + 5 * MINUTE, status: 'failed', lat: 5, uid: 'scan-middle' };
/** Two updates with one event time, accepted 1 ms apart (the table's timestamps differ). */
const SAME_MS_1: Scan = { ts: T + 10 * MINUTE, at: T, status: 'in_transit', lat: 11, uid: 'same-1' };
const SAME_MS_2: Scan = { ts: T + 10 * MINUTE + 1, at: T, status: 'failed', lat: 12, uid: 'same-2' };
/** Two scanners reporting the same event time, uploaded minutes apart. */
const TWIN_1: Scan = { ts: T + 3 * MINUTE, at: T + MINUTE, status: 'in_transit', lat: 21, uid: 'twin-1' };
const TWIN_2: Scan = { ts: T + 9 * MINUTE, at: T + MINUTE, status: 'delivered', lat: 22, uid: 'twin-2' };

const RULES: RuleCase[] = [
  {
    name: 'the first update creates the state',
    scans: [A],
    outcomes: ['updated'],
    winner: 0,
    firstSeen: A.at,
    previous: null,
  },
  {
    name: 'a newer event replaces the state',
    scans: [A, B, C],
    outcomes: ['updated', 'updated', 'updated'],
    winner: 2,
    firstSeen: A.at,
    previous: 'in_transit',
  },
  {
    name: 'newer events arriving before older ones still end at the newest',
    scans: [C, A, B],
    outcomes: ['updated', 'unchanged', 'unchanged'],
    winner: 0,
    firstSeen: A.at,
    previous: null,
  },
  {
    name: 'a late upload of an old scan does not regress status or location, but lowers first_seen',
    scans: [A, B, C, OLD],
    outcomes: ['updated', 'updated', 'updated', 'unchanged'],
    winner: 2,
    firstSeen: OLD.at,
    previous: 'in_transit',
  },
  {
    name: 'a late scan newer than first_seen changes nothing',
    scans: [A, C, MIDDLE],
    outcomes: ['updated', 'updated', 'unchanged'],
    winner: 1,
    firstSeen: A.at,
    previous: 'pending',
  },
  {
    name: 'same millisecond, in table order: the later table timestamp wins',
    scans: [SAME_MS_1, SAME_MS_2],
    outcomes: ['updated', 'updated'],
    winner: 1,
    firstSeen: T,
    previous: 'in_transit',
  },
  {
    name: 'same millisecond, in reverse table order: the later table timestamp still wins',
    scans: [SAME_MS_2, SAME_MS_1],
    outcomes: ['updated', 'unchanged'],
    winner: 0,
    firstSeen: T,
    previous: null,
  },
  {
    name: 'identical event times from different updates: the later accepted wins, in order',
    scans: [TWIN_1, TWIN_2],
    outcomes: ['updated', 'updated'],
    winner: 1,
    firstSeen: TWIN_1.at,
    previous: 'in_transit',
  },
  {
    name: 'identical event times from different updates: the later accepted wins, reversed',
    scans: [TWIN_2, TWIN_1],
    outcomes: ['updated', 'unchanged'],
    winner: 0,
    firstSeen: TWIN_1.at,
    previous: null,
  },
  {
    name: 'a redelivered record changes nothing (current while it is the state, unchanged after a newer one)',
    scans: [A, A, B, A, B],
    outcomes: ['updated', 'current', 'updated', 'unchanged', 'current'],
    winner: 2,
    firstSeen: A.at,
    previous: 'pending',
  },
  {
    name: 'an item without event_time has its created_at as event time',
    scans: [
      { ts: T + 5 * MINUTE, at: T + 5 * MINUTE, eventTime: null, status: 'in_transit', uid: 'legacy' },
      { ts: T + 6 * MINUTE, at: T + MINUTE, status: 'pending', uid: 'late-scan' },
    ],
    outcomes: ['updated', 'unchanged'],
    winner: 0,
    firstSeen: T + MINUTE,
    previous: null,
  },
  {
    name: 'an invalid event_time falls back to created_at',
    scans: [
      { ts: T + 2 * MINUTE, at: T, uid: 'first' },
      { ts: T + 3 * MINUTE, at: T + 3 * MINUTE, eventTime: 'yesterday at noon', status: 'delivered', uid: 'bad-time' },
    ],
    outcomes: ['updated', 'updated'],
    winner: 1,
    firstSeen: T,
    previous: 'in_transit',
  },
  {
    name: 'an event_time with an offset is the same instant, normalised to UTC',
    scans: [{ ts: T + MINUTE, at: T, eventTime: '2026-03-01T10:00:00.000+01:00', uid: 'offset' }],
    outcomes: ['updated'],
    winner: 0,
    firstSeen: T,
    previous: null,
  },
];

describe('projection rules (each record on its own, through StateProjection)', () => {
  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', async (_name, rule) => {
    const id = newId('RULE');
    const project = projection();
    const outcomes: ProjectionOutcome[] = [];
    for (const scan of rule.scans) {
      const result = await project.apply(toHistoryUpdate(image(id, scan)));
      outcomes.push(result.outcome);
      // 'updated' and 'current' carry the state as stored (ALL_NEW); 'unchanged' carries none.
      if (result.outcome === 'unchanged') expect(result.state).toBeUndefined();
      else expect(result.state).toStrictEqual(await stateOf(id));
    }

    expect(outcomes).toEqual(rule.outcomes);
    expect(await stateOf(id)).toStrictEqual(expectedState(id, rule.scans[rule.winner], rule.firstSeen, rule.previous));
  });
});

describe('projection rules (all records in one batch, through the consumer)', () => {
  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', async (_name, rule) => {
    const id = newId('BATCH');
    const events = streamEvents(aws.tableName);

    const response = await invoke(consumer(), events.batch(rule.scans.map((scan) => image(id, scan))));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await stateOf(id)).toStrictEqual(expectedState(id, rule.scans[rule.winner], rule.firstSeen, rule.previous));
    const count = (outcome: ProjectionOutcome) => rule.outcomes.filter((o) => o === outcome).length;
    // 'current' changed nothing either: counted as unchanged.
    expect(outcomeTotals()).toEqual({
      [METRICS.stateUpdated]: count('updated'),
      [METRICS.stateUnchanged]: count('unchanged') + count('current'),
      [METRICS.projectionFailed]: 0,
    });
  });
});

describe('redelivery', () => {
  it('leaves the state record byte-identical and answers current (the state already reflects it)', async () => {
    const id = newId('REDELIVER');
    const events = streamEvents(aws.tableName);
    const record = events.record(image(id, B));
    const handler = consumer();

    expect(await invoke(handler, events.event([record]))).toEqual({ batchItemFailures: [] });
    const before = await rawStateOf(id);
    expect(JSON.parse(before)).toMatchObject({
      tracking_id: { S: id },
      update_id: { S: B.uid },
      status: { S: B.status },
    });
    output.clear();

    // The same record (same sequence number) again, and once more in a batch of its own copies.
    expect(await invoke(handler, events.event([record]))).toEqual({ batchItemFailures: [] });
    expect(await invoke(handler, events.event([record, record]))).toEqual({ batchItemFailures: [] });
    const again = await projection().apply(toHistoryUpdate(image(id, B)));
    expect(again).toEqual({ outcome: 'current', state: expectedState(id, B, B.at, null) });
    // Still the transition it was (the shipment's first state): a retried record carries its event again.
    expect(isTransition(again)).toBe(true);

    expect(await rawStateOf(id)).toBe(before);
    expect(outcomeTotals()).toEqual({
      [METRICS.stateUpdated]: 0,
      [METRICS.stateUnchanged]: 3,
      [METRICS.projectionFailed]: 0,
    });
    // The no-op write that found it current was conditional on this very update, and wrote nothing.
    const noOps = aws.local.calls
      .of('dynamodb', 'UpdateItem')
      .filter((call) => call.input.UpdateExpression === 'SET #update_id = :update_id');
    expect(noOps).toHaveLength(4);
    expect(noOps.map((call) => call.input.ReturnValues)).toEqual(['ALL_NEW', 'ALL_NEW', 'ALL_NEW', 'ALL_NEW']);
    // Only the first delivery changed the state record (its INSERT); the no-ops left no stream record.
    expect(streamRecordsOf(id).map((r) => [r.eventName, r.dynamodb.Keys.timestamp])).toEqual([
      ['INSERT', { N: String(TRACKING_TABLE.stateTimestamp) }],
    ]);
  });
});

describe('transitions (isTransition)', () => {
  const state = (status: TrackingStatus, previous: TrackingStatus | null) =>
    ({ ...expectedState('T', A, A.at, previous), status }) as StateRecord;
  it.each<[string, ProjectionResult, boolean]>([
    ['the first state', { outcome: 'updated', state: state('pending', null) }, true],
    ['a new status', { outcome: 'updated', state: state('in_transit', 'pending') }, true],
    ['the same status again', { outcome: 'updated', state: state('pending', 'pending') }, false],
    ['a retry of a first state', { outcome: 'current', state: state('pending', null) }, true],
    ['a retry of a new status', { outcome: 'current', state: state('delivered', 'in_transit') }, true],
    ['a retry of a repeated status', { outcome: 'current', state: state('delivered', 'delivered') }, false],
    ['an update that lost', { outcome: 'unchanged' }, false],
  ])('%s', (_name, result, expected) => {
    expect(isTransition(result)).toBe(expected);
  });

  it('keeps the status each winner replaced: previous_status = the stored status before the write', async () => {
    const id = newId('PREVIOUS');
    const project = projection();
    const apply = async (scan: Scan) => {
      const result = await project.apply(toHistoryUpdate(image(id, scan)));
      return [result.outcome, result.state?.previous_status, result.state?.status];
    };
    expect(await apply(A)).toEqual(['updated', null, 'pending']);
    expect(await apply({ ...B, status: 'pending' })).toEqual(['updated', 'pending', 'pending']);
    expect(await apply(C)).toEqual(['updated', 'pending', 'delivered']);
    expect(await apply(OLD)).toEqual(['unchanged', undefined, undefined]);
    expect(await apply(C)).toEqual(['current', 'pending', 'delivered']);
  });

  it('reads a state written before previous_status existed as null', async () => {
    const id = newId('LEGACY-STATE');
    await projection().apply(toHistoryUpdate(image(id, A)));
    await aws.client.send(
      new UpdateItemCommand({
        TableName: aws.tableName,
        Key: { tracking_id: { S: id }, timestamp: { N: String(TRACKING_TABLE.stateTimestamp) } },
        UpdateExpression: 'REMOVE previous_status',
      }),
    );

    const again = await projection().apply(toHistoryUpdate(image(id, A)));

    expect(again).toEqual({ outcome: 'current', state: expectedState(id, A, A.at, null) });
  });
});

describe('batch item failures', () => {
  it('reports exactly the failing record, and writes the states of the others', async () => {
    const ids = [0, 1, 2, 3, 4].map(() => newId('FAIL'));
    const k = 2;
    const events = streamEvents(aws.tableName);
    const records = ids.map((id, i) => events.record(image(id, { ...B, uid: `fail-${i}` })));
    const hitsK = (input: Record<string, unknown>) =>
      (input.Key as { tracking_id?: { S?: string } } | undefined)?.tracking_id?.S === ids[k];
    const removeFault = aws.local.faults.add({
      service: 'dynamodb',
      operation: 'UpdateItem',
      error: 'ProvisionedThroughputExceededException',
      match: hitsK,
    });

    const response = await invoke(consumer(), events.event(records));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceOf(records[k]) }] });
    for (const [i, id] of ids.entries()) {
      if (i === k) expect(await stateOf(id)).toBeUndefined();
      else expect(await stateOf(id)).toStrictEqual(expectedState(id, { ...B, uid: `fail-${i}` }, B.at, null));
    }
    // The SDK retried the refused write before the record was given up on.
    expect(aws.local.calls.of('dynamodb', 'UpdateItem').filter((call) => hitsK(call.input))).toHaveLength(
      SDK_MAX_ATTEMPTS,
    );
    expect(failureLines()).toEqual([
      expect.objectContaining({ level: 'ERROR', sequence_number: sequenceOf(records[k]), tracking_id: ids[k] }),
    ]);
    expect(outcomeTotals()).toEqual({
      [METRICS.stateUpdated]: 4,
      [METRICS.stateUnchanged]: 0,
      [METRICS.projectionFailed]: 1,
    });

    // Lambda delivers the batch again from the failed record on: k is written, the rest is unchanged.
    removeFault();
    output.clear();
    expect(await invoke(consumer(), events.event(records.slice(k)))).toEqual({ batchItemFailures: [] });
    expect(await stateOf(ids[k])).toStrictEqual(expectedState(ids[k], { ...B, uid: `fail-${k}` }, B.at, null));
    expect(outcomeTotals()).toEqual({
      [METRICS.stateUpdated]: 1,
      [METRICS.stateUnchanged]: records.length - k - 1,
      [METRICS.projectionFailed]: 0,
    });
  });

  it('reports a record whose first_seen write is refused (the losing path), and nothing else', async () => {
    const id = newId('FAIL-LATE');
    const events = streamEvents(aws.tableName);
    const records = [events.record(image(id, C)), events.record(image(id, OLD))];
    // Only the second write of the late scan: the one lowering first_seen.
    aws.local.faults.add({
      service: 'dynamodb',
      operation: 'UpdateItem',
      error: 'InternalServerError',
      match: (input: Record<string, unknown>) => String(input.UpdateExpression).startsWith('SET #first_seen'),
    });

    const response = await invoke(consumer(), events.event(records));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceOf(records[1]) }] });
    expect(await stateOf(id)).toStrictEqual(expectedState(id, C, C.at, null));
  });

  const POISON: [string, (events: ReturnType<typeof streamEvents>, id: string) => DynamoDBRecord, boolean][] = [
    ['no NewImage', (events, id) => events.record(image(id, A), { noImage: true }), true],
    [
      'no tracking_id',
      (events, id) => {
        const item: Record<string, unknown> = { ...image(id, A) };
        delete item.tracking_id;
        return events.record(item, { keys: { tracking_id: id, timestamp: A.ts } });
      },
      true,
    ],
    ['an unknown status', (events, id) => events.record({ ...image(id, A), status: 'lost' }), true],
    ['no location', (events, id) => events.record({ ...image(id, A), location: undefined }), true],
    ['no update_id', (events, id) => events.record({ ...image(id, A), update_id: '' }), true],
    [
      'neither a usable event_time nor created_at',
      (events, id) => events.record(image(id, { ...A, eventTime: 'soon', createdAt: 'never' })),
      true,
    ],
    [
      'the state record itself (timestamp 0)',
      (events, id) => events.record({ ...image(id, A), timestamp: TRACKING_TABLE.stateTimestamp }),
      true,
    ],
  ];

  it.each(POISON)('a poison record (%s) is a batch item failure, not a crash', async (_name, build) => {
    const id = newId('POISON');
    const goodId = newId('GOOD');
    const events = streamEvents(aws.tableName);
    const poison = build(events, id);
    const records = [events.record(image(goodId, A)), poison, events.record(image(goodId, B))];

    const response = await invoke(consumer(), events.event(records));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceOf(poison) }] });
    expect(await stateOf(goodId)).toStrictEqual(expectedState(goodId, B, A.at, 'pending'));
    expect(await stateOf(id)).toBeUndefined();
    expect(failureLines()).toEqual([
      expect.objectContaining({ sequence_number: sequenceOf(poison), tracking_id: id, poison: true }),
    ]);
  });

  it('a batch of poison records only is answered with all of them, not thrown', async () => {
    const events = streamEvents(aws.tableName);
    const records = [events.record(undefined, { keys: { tracking_id: 'X', timestamp: 1 } }), events.record({})];

    const response = await invoke(consumer(), events.event(records));

    expect(response).toEqual({ batchItemFailures: records.map((r) => ({ itemIdentifier: sequenceOf(r) })) });
    expect(failureLines().map((line) => [line.sequence_number, line.tracking_id])).toEqual([
      [sequenceOf(records[0]), 'X'],
      [sequenceOf(records[1]), undefined],
    ]);
  });

  it('without a table configured, every record fails (and is retried), none is dropped', async () => {
    const env = { ...consumerEnv };
    delete env.TABLE_NAME;
    const events = streamEvents(aws.tableName);
    const records = [events.record(image(newId('NOTABLE'), A))];

    const response = await invoke(consumer(env), events.event(records));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceOf(records[0]) }] });
    expect(output.json('all').some((line) => line.message === 'function configuration problem')).toBe(true);
  });
});

describe('environment', () => {
  it('shards the StatusIndex key with STATUS_SHARD_COUNT from the environment', async () => {
    const id = newId('SHARDS');
    const events = streamEvents(aws.tableName);

    await invoke(consumer({ ...consumerEnv, STATUS_SHARD_COUNT: '3' }), events.batch([image(id, C)]));

    expect(await stateOf(id)).toStrictEqual(expectedState(id, C, C.at, null, 3));
  });
});

describe('EMF metrics', () => {
  it('counts every outcome once, under the consumer service', async () => {
    const id = newId('METRICS');
    const other = newId('METRICS');
    const events = streamEvents(aws.tableName);
    const batch = events.event([
      events.record(image(id, B)), // updated
      events.record(image(id, B)), // unchanged: redelivered
      events.record(image(id, A)), // unchanged: older
      events.record(image(id, C)), // updated
      events.record(undefined, { keys: { tracking_id: other, timestamp: 1 } }), // failed: no image
      events.record({ ...image(other, A), status: 'lost' }), // failed: bad status
      events.record(image(other, A)), // updated
    ]);

    await invoke(consumer(), batch);

    expect(outcomeTotals()).toEqual({
      [METRICS.stateUpdated]: 3,
      [METRICS.stateUnchanged]: 2,
      [METRICS.projectionFailed]: 2,
    });
    const outcomesBlob = emfBlobs(output).find((blob) => METRICS.stateUpdated in blob);
    expect(outcomesBlob).toMatchObject({ service: OBSERVABILITY.consumerServiceName, environment: ENVIRONMENT });
    expect(outcomesBlob?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: OBSERVABILITY.metricsNamespace,
      Dimensions: [['service', 'environment']],
    });
  });
});

// --- Order independence ------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG (the same sequence on every run). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('order independence', () => {
  it('40 updates for 8 shipments: a random order (with redeliveries) ends in the same states as in order', async () => {
    const random = seeded(20260301);
    const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)];
    const SHIPMENTS = 8;
    const PER_SHIPMENT = 5;
    // scans[i][j]: shipment i's j-th update, accepted in j order (timestamps interleave the shipments);
    // event times on a coarse grid so that equal event times are common; some items have none.
    const scans: Scan[][] = Array.from({ length: SHIPMENTS }, (_, i) =>
      Array.from({ length: PER_SHIPMENT }, (_, j) => {
        const ts = T + j * MINUTE + i * 10 + 1;
        const legacy = random() < 0.2;
        return {
          ts,
          at: legacy ? ts : T - Math.floor(random() * 6) * MINUTE,
          eventTime: legacy ? null : undefined,
          status: pick(STATUSES),
          lat: Math.round(random() * 8000) / 100,
          uid: `u-${i}-${j}`,
        };
      }),
    );
    const flat = scans.flatMap((row, i) => row.map((scan) => ({ i, scan }))).sort((a, b) => a.scan.ts - b.scan.ts);

    // In table order, in batches of 10.
    const ordered = streamEvents(aws.tableName);
    const inOrder = flat.map(({ i, scan }) => ordered.record(image(`ORD-${i}`, scan)));
    for (let start = 0; start < inOrder.length; start += 10) {
      expect(await invoke(consumer(), ordered.event(inOrder.slice(start, start + 10)))).toEqual({
        batchItemFailures: [],
      });
    }

    // Shuffled (Fisher-Yates), 6 records delivered twice, in batches of 7.
    const shuffledEvents = streamEvents(aws.tableName);
    const shuffledOriginal = flat.map(({ i, scan }) => shuffledEvents.record(image(`RND-${i}`, scan)));
    const shuffled = [...shuffledOriginal];
    for (let n = shuffled.length - 1; n > 0; n--) {
      const m = Math.floor(random() * (n + 1));
      [shuffled[n], shuffled[m]] = [shuffled[m], shuffled[n]];
    }
    for (let copies = 0; copies < 6; copies++) {
      shuffled.splice(Math.floor(random() * shuffled.length), 0, pick(shuffled));
    }
    expect(shuffled.map((r) => r.dynamodb?.SequenceNumber)).not.toEqual(inOrder.map((r) => r.dynamodb?.SequenceNumber));
    for (let start = 0; start < shuffled.length; start += 7) {
      expect(await invoke(consumer(), shuffledEvents.event(shuffled.slice(start, start + 7)))).toEqual({
        batchItemFailures: [],
      });
    }

    // The rule, computed here: the greatest (event time, timestamp) wins; first_seen is the earliest event time.
    // previous_status is the one thing that depends on the arrival order: the status the last winner
    // to arrive replaced (a redelivery never wins again).
    const byRank = (a: Scan, b: Scan) => a.at - b.at || a.ts - b.ts;
    const previousOf = (arrivals: { i: number; scan: Scan }[]) => {
      const current = new Map<number, Scan>();
      const previous = new Map<number, TrackingStatus | null>();
      for (const { i, scan } of arrivals) {
        const held = current.get(i);
        if (held && byRank(scan, held) <= 0) continue;
        previous.set(i, held ? (held.status ?? 'in_transit') : null);
        current.set(i, scan);
      }
      return previous;
    };
    const orderedPrevious = previousOf(flat);
    // shuffledOriginal[n] is flat[n]'s record; copies are the same objects.
    const shuffledPrevious = previousOf(shuffled.map((record) => flat[shuffledOriginal.indexOf(record)]));
    const withoutId = ({
      tracking_id,
      status_shard,
      updated_key,
      previous_status,
      ...rest
    }: Record<string, unknown>) => {
      void [tracking_id, status_shard, updated_key, previous_status];
      return rest;
    };
    for (const [i, row] of scans.entries()) {
      const winner = [...row].sort(byRank)[row.length - 1];
      const firstSeen = Math.min(...row.map((scan) => scan.at));
      const orderedState = await stateOf(`ORD-${i}`);
      const shuffledState = await stateOf(`RND-${i}`);
      expect(orderedState).toStrictEqual(expectedState(`ORD-${i}`, winner, firstSeen, orderedPrevious.get(i)!));
      expect(shuffledState).toStrictEqual(expectedState(`RND-${i}`, winner, firstSeen, shuffledPrevious.get(i)!));
      expect(withoutId(shuffledState!)).toStrictEqual(withoutId(orderedState!));
    }
    // Equal event times did occur (the tie-break was exercised).
    const ties = scans.filter((row) => new Set(row.map((scan) => scan.at)).size < row.length);
    expect(ties.length).toBeGreaterThan(0);
  });
});

// --- The bundle --------------------------------------------------------------------------------------

describe('the consumer bundle', () => {
  it('carries only what the consumer imports: the SSM and EventBridge clients; no validators, routes, SQS', () => {
    const { code } = buildBundle('lambda/consumer.ts');
    for (const marker of [
      'SQSClient',
      'instancePath',
      'ucs2length',
      'invalid query parameters',
      'Failed to save in progress record',
      '@pulumi',
    ])
      expect({ marker, found: code.includes(marker) }).toEqual({ marker, found: false });
    for (const marker of ['SSMClient', 'EventBridgeClient', 'powertools.batch', OBSERVABILITY.consumerServiceName])
      expect({ marker, found: code.includes(marker) }).toEqual({ marker, found: true });
  });
});
