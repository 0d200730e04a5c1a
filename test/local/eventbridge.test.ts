/**
 * The local EventBridge stand-in, driven by the real @aws-sdk/client-eventbridge: accepted entries,
 * per-entry failures (EventBridge's FailedEntryCount / ErrorCode, and the `PutEventsEntry` fault),
 * whole-call faults, the bus check, the entry limit and the call record; then its place in
 * startLocalAws (the SDK variable, the shared faults, onEvent); and the handler harness, which
 * checks every event put during a test against the contract at reset().
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { LOCAL_ACCOUNT_ID, startLocalAws, type LocalAws } from '../../local/aws';
import { startEventBridge, type LocalEvent, type LocalEventBridge } from '../../local/aws/eventbridge';
import { CallLog, FaultInjector } from '../../local/aws/faults';
import { invalidStatusEvents, startTestAws, type TestAws } from '../helpers/handler-harness';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const REGION = 'us-west-2';
const BUS = 'tracking-events-dev';
const BUS_ARN = `arn:aws:events:${REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${BUS}`;

const entry = (detail: Record<string, unknown>, overrides: Partial<PutEventsRequestEntry> = {}) => ({
  EventBusName: BUS,
  Source: 'logistics.tracking',
  DetailType: 'Shipment Status Changed',
  Detail: JSON.stringify(detail),
  ...overrides,
});

describe('local EventBridge (awsJson1_1, PutEvents)', () => {
  const faults = new FaultInjector();
  const calls = new CallLog();
  const seen: LocalEvent[] = [];
  let eventbridge: LocalEventBridge;
  let client: EventBridgeClient;

  beforeAll(async () => {
    eventbridge = await startEventBridge({
      faults,
      calls,
      region: REGION,
      accountId: LOCAL_ACCOUNT_ID,
      buses: [BUS],
      onEvent: (event) => seen.push(event),
    });
    client = new EventBridgeClient({ endpoint: eventbridge.endpoint, region: REGION, credentials, maxAttempts: 1 });
  });
  afterEach(() => {
    faults.clear();
    calls.clear();
    eventbridge.clear();
    seen.length = 0;
  });
  afterAll(async () => {
    client.destroy();
    await eventbridge.close();
  });

  it('accepts entries for its bus (by name or ARN), keeps them in order and hands each to onEvent', async () => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [entry({ n: 1 }), entry({ n: 2 }, { EventBusName: BUS_ARN, Resources: ['arn:aws:x:::y'] })],
      }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries).toEqual([{ EventId: expect.any(String) }, { EventId: expect.any(String) }]);
    expect(answer.Entries![0].EventId).not.toBe(answer.Entries![1].EventId);

    const events = eventbridge.events();
    expect(events).toEqual([
      {
        id: answer.Entries![0].EventId,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        source: 'logistics.tracking',
        'detail-type': 'Shipment Status Changed',
        eventBusName: BUS_ARN,
        detail: { n: 1 },
        resources: [],
      },
      expect.objectContaining({ id: answer.Entries![1].EventId, detail: { n: 2 }, resources: ['arn:aws:x:::y'] }),
    ]);
    expect(seen).toEqual(events);
    // events() is a copy; clear() forgets them.
    events.length = 0;
    expect(eventbridge.events()).toHaveLength(2);
    eventbridge.clear();
    expect(eventbridge.events()).toEqual([]);
  });

  it('fails single entries through eventbridge:PutEventsEntry=...#1, answered with FailedEntryCount and ErrorCode', async () => {
    faults.add('eventbridge:PutEventsEntry=InternalFailure#1');
    const answer = await client.send(
      new PutEventsCommand({ Entries: [entry({ n: 1 }), entry({ n: 2 }), entry({ n: 3 })] }),
    );
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries).toEqual([
      { ErrorCode: 'InternalFailure', ErrorMessage: 'injected fault (eventbridge:PutEventsEntry)' },
      { EventId: expect.any(String) },
      { EventId: expect.any(String) },
    ]);
    expect(eventbridge.events().map((e) => e.detail)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(seen).toHaveLength(2);
  });

  it('refuses the whole call on a PutEvents fault, keeping nothing', async () => {
    faults.add('eventbridge:PutEvents=InternalFailure#1');
    await expect(client.send(new PutEventsCommand({ Entries: [entry({ n: 1 })] }))).rejects.toMatchObject({
      name: 'InternalFailure',
      $metadata: expect.objectContaining({ httpStatusCode: 500 }),
    });
    expect(eventbridge.events()).toEqual([]);
    expect(seen).toEqual([]);
    // #1: the next call goes through.
    const answer = await client.send(new PutEventsCommand({ Entries: [entry({ n: 2 })] }));
    expect(answer.FailedEntryCount).toBe(0);
    expect(eventbridge.events()).toHaveLength(1);
  });

  it('refuses, per entry, an unknown bus (the default one too) and malformed entries', async () => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ n: 1 }, { EventBusName: 'tracking-events-prod' }),
          entry({ n: 2 }, { EventBusName: undefined }),
          entry({ n: 3 }, { Detail: '{not json' }),
          entry({ n: 4 }, { DetailType: undefined }),
          entry({ n: 5 }),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(4);
    expect(answer.Entries).toEqual([
      { ErrorCode: 'InternalException', ErrorMessage: 'Event bus tracking-events-prod does not exist.' },
      { ErrorCode: 'InternalException', ErrorMessage: 'Event bus default does not exist.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' },
      { EventId: expect.any(String) },
    ]);
    expect(eventbridge.events().map((e) => e.detail)).toEqual([{ n: 5 }]);
  });

  it.each([
    ['more than 10 entries', 11],
    ['no entry', 0],
  ])('refuses %s with a ValidationException', async (_name, count) => {
    const Entries = Array.from({ length: count }, (_, n) => entry({ n }));
    await expect(client.send(new PutEventsCommand({ Entries }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 10'),
      $metadata: expect.objectContaining({ httpStatusCode: 400 }),
    });
    expect(eventbridge.events()).toEqual([]);
  });

  it('takes exactly 10 entries', async () => {
    const Entries = Array.from({ length: 10 }, (_, n) => entry({ n }));
    expect((await client.send(new PutEventsCommand({ Entries }))).FailedEntryCount).toBe(0);
    expect(eventbridge.events()).toHaveLength(10);
  });

  it('records every call, refused or not, with its input', async () => {
    faults.add('eventbridge:PutEvents=InternalFailure#1');
    await expect(client.send(new PutEventsCommand({ Entries: [entry({ n: 1 })] }))).rejects.toThrow();
    await client.send(new PutEventsCommand({ Entries: [entry({ n: 2 })] }));
    expect(calls.of('eventbridge')).toEqual([
      { service: 'eventbridge', operation: 'PutEvents', input: { Entries: [entry({ n: 1 })] }, principal: 'local' },
      { service: 'eventbridge', operation: 'PutEvents', input: { Entries: [entry({ n: 2 })] }, principal: 'local' },
    ]);
    expect(calls.of('eventbridge', 'PutEventsEntry')).toEqual([]);
  });

  it('answers an operation it does not implement as UnknownOperationException', async () => {
    const response = await fetch(eventbridge.endpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSEvents.ListRules', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('local EventBridge in startLocalAws', () => {
  const seen: LocalEvent[] = [];
  let aws: LocalAws;
  let client: EventBridgeClient;

  beforeAll(async () => {
    aws = await startLocalAws({
      region: REGION,
      tables: [],
      queues: [],
      parameters: {},
      buses: [BUS],
      faults: ['eventbridge:PutEventsEntry=InternalFailure#1'],
      onEvent: (event) => seen.push(event),
    });
    // As the consumer's client finds it: through the standard endpoint variable only.
    expect(aws.env.AWS_ENDPOINT_URL_EVENTBRIDGE).toBe(aws.endpoints.eventbridge);
    client = new EventBridgeClient({
      region: REGION,
      endpoint: aws.env.AWS_ENDPOINT_URL_EVENTBRIDGE,
      credentials,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await aws?.close();
  });

  it('serves the buses, with the shared faults (given at start) and call record, and onEvent', async () => {
    expect(aws.endpoints.eventbridge).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await client.send(new PutEventsCommand({ Entries: [entry({ n: 1 }), entry({ n: 2 })] }));
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries![0]).toEqual(expect.objectContaining({ ErrorCode: 'InternalFailure' }));
    expect(aws.eventbridge.events().map((e) => e.detail)).toEqual([{ n: 2 }]);
    expect(seen.map((e) => e.detail)).toEqual([{ n: 2 }]);
    expect(aws.calls.of('eventbridge', 'PutEvents')).toHaveLength(1);
  });
});

describe("the handler harness's check of every event at reset()", () => {
  let aws: TestAws;
  let client: EventBridgeClient;
  const detail = {
    version: 1,
    id: 'PKG-1/u-1',
    tracking_id: 'PKG-1',
    status: 'pending',
    previous_status: null,
    event_time: '2026-03-01T09:15:00.000Z',
    timestamp: 1772356500000,
    location: { lat: 1, lng: 2 },
    environment: 'test',
  };

  beforeAll(async () => {
    aws = await startTestAws();
    client = new EventBridgeClient({
      region: REGION,
      endpoint: aws.local.endpoints.eventbridge,
      credentials,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await aws?.close();
  });

  const put = (...details: Record<string, unknown>[]) =>
    client.send(new PutEventsCommand({ Entries: details.map((d) => entry(d, { EventBusName: aws.eventBusName })) }));

  it('passes events that follow STATUS_EVENT_DETAIL_SCHEMA, and forgets them', async () => {
    expect(aws.eventBusName).toBe('tracking-events-test');
    await put(detail, { ...detail, status: 'in_transit', previous_status: 'pending' });
    expect(aws.events()).toHaveLength(2);
    expect(() => aws.reset()).not.toThrow();
    expect(aws.events()).toEqual([]);
  });

  it('throws at reset, listing every invalid event, and still resets', async () => {
    const { environment: _dropped, ...withoutEnvironment } = detail;
    await put(detail, { ...detail, status: 'lost' }, withoutEnvironment, { ...detail, extra: 1 });
    let message = '';
    try {
      aws.reset();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^3 of the 4 events put on tracking-events-test since the last reset break STATUS_EVENT_DETAIL_SCHEMA/,
    );
    expect(message).toMatch(/event #2 .*detail\/status must be equal to one of the allowed values/);
    expect(message).toMatch(/event #3 .*must have required property 'environment'/);
    expect(message).toMatch(/event #4 .*must NOT have additional properties .*"additionalProperty":"extra"/);
    expect(message).not.toMatch(/event #1 /);
    expect(aws.events()).toEqual([]);
    expect(() => aws.reset()).not.toThrow();
  });

  it('checks the source and detail type too', () => {
    expect(
      invalidStatusEvents([
        {
          id: 'x',
          time: '2026-03-01T09:15:00Z',
          source: 'other',
          'detail-type': 'Other',
          eventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/tracking-events-test',
          detail,
          resources: [],
        },
      ]),
    ).toEqual([expect.stringMatching(/event #1 .*: source "other"; detail-type "Other"$/)]);
  });
});
