/**
 * Status-change events, against the local AWS in process: with the real_time_notifications flag on,
 * the stream consumer puts one EventBridge event per REAL transition of a shipment's current state
 * (its first update, or a new status), in the order the projection decides; a repeated status or a
 * late old scan puts none. A shipment's waiting event is put before its next record is projected. An
 * event refused by EventBridge (one entry, or the whole call) makes its record, and its shipment's
 * later records in the batch (held back, not projected), batch item failures, and nothing else;
 * delivered again, the record finds the state still reflecting it and carries the same event (same
 * id) again: at least once, never lost. Every event put here is checked against
 * STATUS_EVENT_DETAIL_SCHEMA (and the harness checks them again at reset).
 */
import Ajv from 'ajv-draft-04';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createHandler } from '../../lambda/app';
import { SDK_MAX_ATTEMPTS } from '../../lambda/aws-clients';
import { createConsumer, type ConsumerHandler } from '../../lambda/consumer-app';
import {
  FUNCTION_ENV,
  METRICS,
  STATUS_EVENT,
  STATUS_EVENT_DETAIL_SCHEMA,
  STREAM_FILTER_PATTERN,
  TRACKING_TABLE,
  type TrackingStatus,
} from '../../lambda/contract';
import { MAX_ENTRIES_PER_PUT, type StatusEventDetail } from '../../lambda/events';
import { PARAMETER_MAX_AGE_SECONDS } from '../../lambda/settings';
import { matchesFilter } from '../../local/runtime/filter-pattern';
import {
  ENVIRONMENT,
  PARAMETERS,
  captureOutput,
  freezeClock,
  invoke as invokeApi,
  metricTotals,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type OutputCapture,
  type TestAws,
} from '../helpers/handler-harness';
import {
  consumerContext,
  newTrackingId,
  scanImage,
  streamEvents,
  type Scan as AnyScan,
} from '../helpers/stream-events';

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

// --- Scans, events and the consumer --------------------------------------------------------------

const T = Date.UTC(2026, 2, 1, 9, 0, 0);
const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A scan that carries an event: its status and update id are given. */
type Scan = AnyScan & { status: TrackingStatus; uid: string };
const newId = newTrackingId;
const image = scanImage;

/** The detail of the event `scan` makes when it replaces `previous`: every field, nothing else. */
function detail(trackingId: string, scan: Scan, previous: TrackingStatus | null): StatusEventDetail {
  return {
    version: STATUS_EVENT.version,
    id: `${trackingId}/${scan.uid}`,
    tracking_id: trackingId,
    status: scan.status,
    previous_status: previous,
    event_time: iso(scan.at),
    timestamp: scan.ts,
    location: { lat: scan.lat ?? 52.52, lng: 13.405 },
    environment: ENVIRONMENT,
  };
}

const validDetail = new Ajv({ allErrors: true, strict: false }).compile(STATUS_EVENT_DETAIL_SCHEMA);

/**
 * The details of the events put on the bus so far, oldest first, after checking that each is a
 * status-change event on the stack's bus whose detail validates against the contract's schema.
 */
function putDetails(): StatusEventDetail[] {
  return aws.local.eventbridge.events().map((event) => {
    expect({ source: event.source, detailType: event['detail-type'] }).toEqual({
      source: STATUS_EVENT.source,
      detailType: STATUS_EVENT.detailType,
    });
    expect(event.eventBusName).toMatch(new RegExp(`:event-bus/${aws.eventBusName}$`));
    expect({ detail: event.detail, errors: validDetail(event.detail) ? null : validDetail.errors }).toEqual({
      detail: event.detail,
      errors: null,
    });
    return event.detail as StatusEventDetail;
  });
}

const putEventsCalls = () => aws.local.calls.of('eventbridge', 'PutEvents');
/** The number of entries of each PutEvents call, in order. */
const entriesPerCall = () => putEventsCalls().map((call) => (call.input.Entries as unknown[]).length);

/** The flags for the next read (the consumer reads them through SSM, like the API). */
const flags = (on: boolean) => aws.setParameters({ real_time_notifications: on });

const consumer = (env: NodeJS.ProcessEnv = aws.consumerEnv): ConsumerHandler => createConsumer(env);
const invoke = (handler: ConsumerHandler, event: DynamoDBStreamEvent) => handler(event, consumerContext());
const sequenceOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber as string;
const failuresOf = (...records: DynamoDBRecord[]) => records.map((r) => ({ itemIdentifier: sequenceOf(r) }));

/** The consumer's "status event not put" log lines. */
const notPutLines = () => output.json('all').filter((line) => line.message === 'status event not put');
/** The consumer's "stream record held back" log lines (a record not projected after its shipment's event was refused). */
const heldBackLines = () => output.json('all').filter((line) => line.message === 'stream record held back');
/** The shipment's state record. */
const stateOf = async (id: string) =>
  (await aws.itemsOf(id)).find((item) => item.timestamp === TRACKING_TABLE.stateTimestamp);
const eventTotals = () => {
  const totals = metricTotals(output);
  return { put: totals[METRICS.eventsPut] ?? 0, failed: totals[METRICS.eventsFailed] ?? 0 };
};

// pending, pending again, then in_transit; a scan older than all of them; two with one event time.
const P1: Scan = { ts: T + 10 * MINUTE, at: T, status: 'pending', uid: 'p1', lat: 10 };
const P2: Scan = { ts: T + 20 * MINUTE, at: T + 15 * MINUTE, status: 'pending', uid: 'p2', lat: 11 };
const IN_TRANSIT: Scan = { ts: T + 30 * MINUTE, at: T + 25 * MINUTE, status: 'in_transit', uid: 'it', lat: 20 };
const OLD: Scan = { ts: T + 40 * MINUTE, at: T - 60 * MINUTE, status: 'delivered', uid: 'old', lat: 1 };
const SAME_MS_1: Scan = { ts: T + 10 * MINUTE, at: T, status: 'in_transit', uid: 'same-1', lat: 31 };
const SAME_MS_2: Scan = { ts: T + 10 * MINUTE + 1, at: T, status: 'failed', uid: 'same-2', lat: 32 };

// --- Which updates are transitions -----------------------------------------------------------------

interface TransitionCase {
  name: string;
  /** In arrival order. */
  scans: Scan[];
  /** The events, in order: the scan and the status it replaced. */
  events: [Scan, TrackingStatus | null][];
}

const TRANSITIONS: TransitionCase[] = [
  { name: 'the first update (previous_status null)', scans: [P1], events: [[P1, null]] },
  { name: 'a repeat of the same status: none', scans: [P1, P2], events: [[P1, null]] },
  {
    name: 'a change (previous_status = the old status)',
    scans: [P1, IN_TRANSIT],
    events: [
      [P1, null],
      [IN_TRANSIT, 'pending'],
    ],
  },
  { name: 'a late old scan: none', scans: [IN_TRANSIT, OLD], events: [[IN_TRANSIT, null]] },
  {
    name: 'a newer scan arriving first, then the older ones: only the newest',
    scans: [IN_TRANSIT, P1, P2],
    events: [[IN_TRANSIT, null]],
  },
  {
    name: 'the same millisecond, in table order: both, the later timestamp last',
    scans: [SAME_MS_1, SAME_MS_2],
    events: [
      [SAME_MS_1, null],
      [SAME_MS_2, 'in_transit'],
    ],
  },
  {
    name: 'the same millisecond, in reverse table order: only the later timestamp',
    scans: [SAME_MS_2, SAME_MS_1],
    events: [[SAME_MS_2, null]],
  },
];

describe('transitions (flag on)', () => {
  it.each(TRANSITIONS.map((c) => [c.name, c] as const))('in one batch: %s', async (_name, c) => {
    flags(true);
    const id = newId('ONE-BATCH');
    const events = streamEvents(aws.tableName);

    const response = await invoke(consumer(), events.batch(c.scans.map((scan) => image(id, scan))));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(putDetails()).toEqual(c.events.map(([scan, previous]) => detail(id, scan, previous)));
    expect(eventTotals()).toEqual({ put: c.events.length, failed: 0 });
    // One shipment: each event is put before the shipment's next record is projected (the last one at
    // the end of the batch), so one call per event.
    expect(entriesPerCall()).toEqual(c.events.map(() => 1));
  });

  it.each(TRANSITIONS.map((c) => [c.name, c] as const))('one record per batch: %s', async (_name, c) => {
    flags(true);
    const id = newId('PER-RECORD');
    const events = streamEvents(aws.tableName);
    const handler = consumer();

    for (const scan of c.scans) {
      expect(await invoke(handler, events.batch([image(id, scan)]))).toEqual({ batchItemFailures: [] });
    }

    expect(putDetails()).toEqual(c.events.map(([scan, previous]) => detail(id, scan, previous)));
  });

  it('the issue: pending, pending, in_transit, delivered, then an old pending scan -> exactly three events, a chain', async () => {
    flags(true);
    const id = newId('ISSUE');
    const DELIVERED: Scan = { ts: T + 50 * MINUTE, at: T + 45 * MINUTE, status: 'delivered', uid: 'dl', lat: 40 };
    const OLD_PENDING: Scan = { ts: T + 60 * MINUTE, at: T - 120 * MINUTE, status: 'pending', uid: 'op', lat: 2 };
    const events = streamEvents(aws.tableName);

    const response = await invoke(
      consumer(),
      events.batch([P1, P2, IN_TRANSIT, DELIVERED, OLD_PENDING].map((scan) => image(id, scan))),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    const put = putDetails();
    expect(put).toEqual([detail(id, P1, null), detail(id, IN_TRANSIT, 'pending'), detail(id, DELIVERED, 'in_transit')]);
    // Each event's previous_status is the status of the event before it.
    expect(put.map((d) => [d.previous_status, d.status])).toEqual([
      [null, 'pending'],
      ['pending', 'in_transit'],
      ['in_transit', 'delivered'],
    ]);
  });

  it('the issue, end to end: POSTed to the API, the stream records it wrote, the consumer -> the same chain', async () => {
    flags(true);
    const id = newId('ISSUE-API');
    const api = createHandler(aws.env);
    const base = Date.now() - 60 * MINUTE;
    const posts: [TrackingStatus, number][] = [
      ['pending', base],
      ['pending', base + MINUTE],
      ['in_transit', base + 2 * MINUTE],
      ['delivered', base + 3 * MINUTE],
      ['pending', base - 60 * MINUTE], // an old scan, uploaded last
    ];
    for (const [status, at] of posts) {
      const answer = await invokeApi(api, postTrackEvent(validUpdate(id, { status, event_time: iso(at) })));
      expect(answer.statusCode).toBe(200);
    }
    // What the event source mapping gives the consumer: the INSERTs of the shipment's history items.
    const records = aws.local
      .streams(aws.tableName)
      .records()
      .filter((record) => record.dynamodb.Keys.tracking_id?.S === id && matchesFilter(STREAM_FILTER_PATTERN, record));
    expect(records).toHaveLength(posts.length);

    const response = await invoke(consumer(), { Records: records as unknown as DynamoDBRecord[] });

    expect(response).toEqual({ batchItemFailures: [] });
    const items = (await aws.itemsOf(id)).filter((item) => item.timestamp !== TRACKING_TABLE.stateTimestamp);
    const itemAt = (at: number) => items.find((item) => item.event_time === iso(at))!;
    const expected = (at: number, status: TrackingStatus, previous: TrackingStatus | null): StatusEventDetail => ({
      version: STATUS_EVENT.version,
      id: `${id}/${itemAt(at).update_id}`,
      tracking_id: id,
      status,
      previous_status: previous,
      event_time: iso(at),
      timestamp: itemAt(at).timestamp,
      location: { lat: 52.52, lng: 13.405 },
      environment: ENVIRONMENT,
    });
    expect(putDetails()).toEqual([
      expected(base, 'pending', null),
      expected(base + 2 * MINUTE, 'in_transit', 'pending'),
      expected(base + 3 * MINUTE, 'delivered', 'in_transit'),
    ]);
  });
});

// --- The flag --------------------------------------------------------------------------------------

describe('the real_time_notifications flag', () => {
  it('off: the projection runs, no event is put (no PutEvents call)', async () => {
    flags(false);
    const id = newId('FLAG-OFF');
    const events = streamEvents(aws.tableName);

    const response = await invoke(consumer(), events.batch([image(id, P1), image(id, IN_TRANSIT)]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await aws.itemsOf(id)).find((item) => item.timestamp === TRACKING_TABLE.stateTimestamp)).toMatchObject({
      status: 'in_transit',
      previous_status: 'pending',
      update_id: IN_TRANSIT.uid,
    });
    expect(putDetails()).toEqual([]);
    expect(putEventsCalls()).toEqual([]);
    expect(eventTotals()).toEqual({ put: 0, failed: 0 });
  });

  it('is the default (DEFAULT_FEATURE_FLAGS: off) when SSM never answered', async () => {
    flags(true).failing = true;
    const events = streamEvents(aws.tableName);

    await invoke(consumer(), events.batch([image(newId('SSM-DOWN'), P1)]));

    expect(putDetails()).toEqual([]);
    const warnings = output.json('all').filter((line) => String(line.message).startsWith('SSM parameter unavailable'));
    expect(warnings.map((line) => [line.parameter, line.using])).toEqual([[PARAMETERS.flags, 'defaults']]);
  });

  it('turned on: events once the cached value expires (PARAMETER_MAX_AGE_SECONDS), not before', async () => {
    const ssm = flags(false);
    const handler = consumer();
    const events = streamEvents(aws.tableName);
    const [a, b, c] = [newId('FLIP'), newId('FLIP'), newId('FLIP')];

    await invoke(handler, events.batch([image(a, P1)]));
    flags(true);
    await invoke(handler, events.batch([image(b, P1)])); // still the cached "off"
    expect(putDetails()).toEqual([]);

    freezeClock(Date.now() + (PARAMETER_MAX_AGE_SECONDS + 1) * 1000);
    await invoke(handler, events.batch([image(c, P1)]));

    expect(putDetails()).toEqual([detail(c, P1, null)]);
    // Only the flags parameter was read (no API config), once per cache period.
    expect(ssm.calls).toEqual([PARAMETERS.flags, PARAMETERS.flags]);
  });

  it('keeps its last known value when SSM fails after it expires', async () => {
    const ssm = flags(true);
    const handler = consumer();
    const events = streamEvents(aws.tableName);
    const [a, b] = [newId('LAST-KNOWN'), newId('LAST-KNOWN')];
    await invoke(handler, events.batch([image(a, P1)]));

    ssm.failing = true;
    freezeClock(Date.now() + (PARAMETER_MAX_AGE_SECONDS + 1) * 1000);
    await invoke(handler, events.batch([image(b, P1)]));

    expect(putDetails()).toEqual([detail(a, P1, null), detail(b, P1, null)]);
    const warnings = output.json('all').filter((line) => String(line.message).startsWith('SSM parameter unavailable'));
    expect(warnings.map((line) => line.using)).toEqual(['last-known']);
  });

  it('is not read for a batch without a transition', async () => {
    const ssm = flags(true);
    const id = newId('NO-TRANSITION');
    const events = streamEvents(aws.tableName);
    const handler = consumer();
    await invoke(handler, events.batch([image(id, IN_TRANSIT)]));
    const reads = ssm.calls.length;

    // A late old scan and a repeated status: no transition, no SSM read, no PutEvents.
    await invoke(
      handler,
      events.batch([image(id, P1), image(id, { ...IN_TRANSIT, ts: T + 90 * MINUTE, uid: 'again' })]),
    );

    expect(ssm.calls).toHaveLength(reads);
    expect(entriesPerCall()).toEqual([1]);
  });
});

// --- At least once ---------------------------------------------------------------------------------

describe('redelivery', () => {
  it('a record whose event was already put is emitted again, with the SAME id (at least once)', async () => {
    flags(true);
    const id = newId('REDELIVER');
    const events = streamEvents(aws.tableName);
    const first = events.record(image(id, P1));
    const second = events.record(image(id, IN_TRANSIT));
    const handler = consumer();

    await invoke(handler, events.event([first, second]));
    // Lambda delivers the batch again (a timeout after the puts, say).
    await invoke(handler, events.event([first, second]));

    // P1 is no longer the state: only IN_TRANSIT, still the state, is emitted again, identically.
    expect(putDetails()).toEqual([
      detail(id, P1, null),
      detail(id, IN_TRANSIT, 'pending'),
      detail(id, IN_TRANSIT, 'pending'),
    ]);
  });

  it('a record delivered twice in one batch is put once', async () => {
    flags(true);
    const id = newId('TWICE');
    const events = streamEvents(aws.tableName);
    const record = events.record(image(id, P1));

    expect(await invoke(consumer(), events.event([record, record]))).toEqual({ batchItemFailures: [] });

    expect(putDetails()).toEqual([detail(id, P1, null)]);
  });
});

// --- EventBridge refuses -----------------------------------------------------------------------------

describe('EventBridge refuses', () => {
  it('state written but put failed -> emitted on retry, same id (one entry refused: only its record fails)', async () => {
    flags(true);
    const ids = [newId('ENTRY'), newId('ENTRY'), newId('ENTRY')];
    const events = streamEvents(aws.tableName);
    const records = ids.map((id) => events.record(image(id, P1)));
    aws.fault('eventbridge:PutEventsEntry=InternalFailure#1'); // the first entry of the next call

    const response = await invoke(consumer(), events.event(records));

    expect(response).toEqual({ batchItemFailures: failuresOf(records[0]) });
    expect(putDetails()).toEqual([detail(ids[1], P1, null), detail(ids[2], P1, null)]);
    // The state was written all the same.
    expect((await aws.itemsOf(ids[0])).find((i) => i.timestamp === TRACKING_TABLE.stateTimestamp)).toMatchObject({
      status: 'pending',
      update_id: P1.uid,
      previous_status: null,
    });
    expect(notPutLines()).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        sequence_number: sequenceOf(records[0]),
        tracking_id: ids[0],
        event_id: `${ids[0]}/${P1.uid}`,
        error_code: 'InternalFailure',
      }),
    ]);
    expect(eventTotals()).toEqual({ put: 2, failed: 1 });
    const failedId = notPutLines()[0].event_id;

    // Lambda delivers again from the failed record on: its state is current, its event goes out now,
    // with the id it had; the others (current too) are emitted again, with theirs.
    output.clear();
    expect(await invoke(consumer(), events.event(records))).toEqual({ batchItemFailures: [] });
    expect(putDetails().slice(2)).toEqual(ids.map((id) => detail(id, P1, null)));
    expect(putDetails()[2].id).toBe(failedId);
    expect(eventTotals()).toEqual({ put: 3, failed: 0 });
  });

  it("the whole call refused: every event-carrying record fails, and its shipment's later records; no other", async () => {
    flags(true);
    const [x, y, z] = [newId('WHOLE'), newId('WHOLE'), newId('WHOLE')];
    const events = streamEvents(aws.tableName);
    await invoke(consumer(), events.batch([image(z, P1)])); // z's first update, announced
    const announced = putDetails().length;
    const xFirst = events.record(image(x, P1));
    const zRepeat = events.record(image(z, P2)); // pending again: no transition
    const poison = events.record({ ...image(y, P1), status: 'lost' });
    const yFirst = events.record(image(y, IN_TRANSIT));
    const xOld = events.record(image(x, OLD)); // older than x's state: no transition, but after x's event
    const batch = [xFirst, zRepeat, poison, yFirst, xOld];
    const removeFault = aws.fault('eventbridge:PutEvents=InternalFailure');
    aws.local.calls.clear();
    output.clear();

    const response = await invoke(consumer(), events.event(batch));

    // The poison record (not projected), the two records with events, and x's old scan: x's event was
    // waiting, so it was put (and refused) before xOld, which is then held back; each once, in order.
    expect(response).toEqual({ batchItemFailures: failuresOf(xFirst, poison, yFirst, xOld) });
    expect(putDetails()).toHaveLength(announced);
    // One flush (before xOld), which the SDK retried before the events were given up on; none at the end.
    expect(putEventsCalls()).toHaveLength(SDK_MAX_ATTEMPTS);
    expect(entriesPerCall()).toEqual(Array(SDK_MAX_ATTEMPTS).fill(2));
    expect(heldBackLines().map((line) => [line.sequence_number, line.tracking_id, line.refused_event_id])).toEqual([
      [sequenceOf(xOld), x, `${x}/${P1.uid}`],
    ]);
    expect(
      notPutLines().map((line) => [line.tracking_id, line.sequence_number, line.event_id, line.error_code]),
    ).toEqual([
      [x, sequenceOf(xFirst), `${x}/${P1.uid}`, 'InternalFailure'],
      [y, sequenceOf(yFirst), `${y}/${IN_TRANSIT.uid}`, 'InternalFailure'],
    ]);
    expect(eventTotals()).toEqual({ put: 0, failed: 2 });

    // Delivered again from the first failed record on, with EventBridge back: both events, with the
    // ids they had; z's repeat and x's old scan still put nothing.
    removeFault();
    expect(await invoke(consumer(), events.event(batch))).toEqual({ batchItemFailures: failuresOf(poison) });
    expect(putDetails().slice(announced)).toEqual([detail(x, P1, null), detail(y, IN_TRANSIT, null)]);
  });

  it('a refused event whose shipment has a later record in the batch: that record is held back, nothing is lost', async () => {
    flags(true);
    const id = newId('SUPERSEDED');
    const events = streamEvents(aws.tableName);
    const records = [events.record(image(id, P1)), events.record(image(id, IN_TRANSIT))];
    aws.fault('eventbridge:PutEventsEntry=InternalFailure#1'); // P1's event, put before IN_TRANSIT is projected

    // Both fail: P1 (its event refused) and IN_TRANSIT (held back, not projected: P1 is still the state).
    expect(await invoke(consumer(), events.event(records))).toEqual({ batchItemFailures: failuresOf(...records) });
    expect(putDetails()).toEqual([]);
    expect(await stateOf(id)).toMatchObject({ status: 'pending', update_id: P1.uid, previous_status: null });
    expect(heldBackLines()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        sequence_number: sequenceOf(records[1]),
        tracking_id: id,
        refused_event_id: `${id}/${P1.uid}`,
      }),
    ]);
    expect(eventTotals()).toEqual({ put: 0, failed: 1 });
    const failedId = notPutLines()[0].event_id;

    // Delivered again from the failed record on: P1 is current, its event goes out (same id), then
    // IN_TRANSIT is projected and announced. Over both deliveries: exactly the chain.
    expect(await invoke(consumer(), events.event(records))).toEqual({ batchItemFailures: [] });
    expect(putDetails()).toEqual([detail(id, P1, null), detail(id, IN_TRANSIT, 'pending')]);
    expect(putDetails()[0].id).toBe(failedId);
    expect(entriesPerCall()).toEqual([1, 1, 1]);
  });

  it('the same with a repeat (pending, pending) and the whole call refused: the first event is put on retry', async () => {
    flags(true);
    const id = newId('SUPERSEDED-REPEAT');
    const events = streamEvents(aws.tableName);
    const records = [events.record(image(id, P1)), events.record(image(id, P2))];
    const removeFault = aws.fault('eventbridge:PutEvents=InternalFailure');

    expect(await invoke(consumer(), events.event(records))).toEqual({ batchItemFailures: failuresOf(...records) });
    expect(await stateOf(id)).toMatchObject({ update_id: P1.uid });
    removeFault();
    expect(await invoke(consumer(), events.event(records))).toEqual({ batchItemFailures: [] });

    // P2 repeats the status (no event of its own); P1's event is not lost.
    expect(putDetails()).toEqual([detail(id, P1, null)]);
    expect(await stateOf(id)).toMatchObject({ update_id: P2.uid, status: 'pending', previous_status: 'pending' });
  });

  it("two shipments interleaved, one event refused: only that shipment's records fail, the other's all succeed", async () => {
    flags(true);
    const [a, b] = [newId('INTERLEAVED-A'), newId('INTERLEAVED-B')];
    const events = streamEvents(aws.tableName);
    const [a1, b1, a2, b2] = [
      events.record(image(a, P1)),
      events.record(image(b, P1)),
      events.record(image(a, IN_TRANSIT)),
      events.record(image(b, IN_TRANSIT)),
    ];
    aws.fault('eventbridge:PutEventsEntry=InternalFailure#1'); // a1's event, the first of the flush before a2

    expect(await invoke(consumer(), events.event([a1, b1, a2, b2]))).toEqual({ batchItemFailures: failuresOf(a1, a2) });
    expect(putDetails()).toEqual([detail(b, P1, null), detail(b, IN_TRANSIT, 'pending')]);
    expect(await stateOf(b)).toMatchObject({ update_id: IN_TRANSIT.uid });
    expect(await stateOf(a)).toMatchObject({ update_id: P1.uid });

    // Lambda delivers again from a1 (the lowest failed sequence number): a's chain goes out in order;
    // b1 is no longer b's state (nothing), b2 is still current (announced again, same id: at least once).
    expect(await invoke(consumer(), events.event([a1, b1, a2, b2]))).toEqual({ batchItemFailures: [] });
    const put = putDetails();
    expect(put.filter((d) => d.tracking_id === a)).toEqual([detail(a, P1, null), detail(a, IN_TRANSIT, 'pending')]);
    expect(put.filter((d) => d.tracking_id === b)).toEqual([
      detail(b, P1, null),
      detail(b, IN_TRANSIT, 'pending'),
      detail(b, IN_TRANSIT, 'pending'),
    ]);
  });

  it('a record delivered twice in a failing batch is reported once', async () => {
    flags(true);
    const id = newId('TWICE-FAIL');
    const events = streamEvents(aws.tableName);
    const record = events.record(image(id, P1));
    aws.fault('eventbridge:PutEvents=InternalFailure');

    const response = await invoke(consumer(), events.event([record, record]));

    expect(response).toEqual({ batchItemFailures: failuresOf(record) });
    expect(eventTotals()).toEqual({ put: 0, failed: 1 });
  });

  it("without an event bus configured: the records with events fail (and are retried), with their shipments' later records", async () => {
    flags(true);
    const env = { ...aws.consumerEnv };
    delete env[FUNCTION_ENV.eventBusName];
    const [id, other] = [newId('NO-BUS'), newId('NO-BUS')];
    const events = streamEvents(aws.tableName);
    await invoke(consumer(), events.batch([image(other, P1)])); // other's first update, announced
    const records = [events.record(image(id, P1)), events.record(image(other, P2)), events.record(image(id, OLD))];

    const response = await invoke(consumer(env), events.event(records));

    // id's old scan is held back (not projected: first_seen still P1's); other's repeat is projected.
    expect(response).toEqual({ batchItemFailures: failuresOf(records[0], records[2]) });
    expect(await stateOf(id)).toMatchObject({ update_id: P1.uid, first_seen: P1.at });
    expect(await stateOf(other)).toMatchObject({ update_id: P2.uid, status: 'pending' });
    expect(putEventsCalls()).toHaveLength(1); // other's announcement only
    expect(output.json('all').filter((line) => line.message === 'function configuration problem')).toEqual([
      expect.objectContaining({ problem: `${FUNCTION_ENV.eventBusName} is not set` }),
    ]);
  });
});

// --- Chunks ----------------------------------------------------------------------------------------

describe('more than 10 transitions in one batch', () => {
  it('are put in calls of at most 10 entries, in order', async () => {
    flags(true);
    const ids = Array.from({ length: 23 }, () => newId('MANY'));
    const events = streamEvents(aws.tableName);
    // 23 first updates, with a repeat (no transition) in between.
    const images = ids.flatMap((id, i) => (i === 5 ? [image(id, P1), image(id, P2)] : [image(id, P1)]));

    const response = await invoke(consumer(), events.batch(images));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(MAX_ENTRIES_PER_PUT).toBe(10);
    // The repeat of ids[5] puts the six waiting events first; the other 17 go out at the end.
    expect(entriesPerCall()).toEqual([6, 10, 7]);
    expect(putDetails()).toEqual(ids.map((id) => detail(id, P1, null)));
    expect(eventTotals()).toEqual({ put: 23, failed: 0 });
  });

  it('a refused call fails only its own records', async () => {
    flags(true);
    const ids = Array.from({ length: 12 }, () => newId('CHUNK'));
    const events = streamEvents(aws.tableName);
    const records = ids.map((id) => events.record(image(id, P1)));
    // The second call (entries 11 and 12) is refused on every attempt; the first goes through.
    aws.local.faults.add({
      service: 'eventbridge',
      operation: 'PutEvents',
      error: 'InternalFailure',
      match: (input: Record<string, unknown>) => (input.Entries as unknown[]).length === 2,
    });

    const response = await invoke(consumer(), events.event(records));

    expect(response).toEqual({ batchItemFailures: failuresOf(records[10], records[11]) });
    expect(putDetails()).toEqual(ids.slice(0, 10).map((id) => detail(id, P1, null)));
    expect(entriesPerCall()).toEqual([10, ...Array(SDK_MAX_ATTEMPTS).fill(2)]);
  });
});
