/**
 * Status-change events through the whole local API (`npm start -- --set realTimeNotifications=true
 * --events-file FILE --webhook URL`): signed POST /track → table → stream → consumer → the stack's
 * bus → one JSON line per event in the events file, and the event's detail POSTed to the webhook as
 * the stack's API destination does (InputPath `$.detail`, the auth header). A late scan (an older
 * event_time) and a repeated status are no transition: no event. With the flag off, no event at all.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { STATUS_EVENT } from '../../lambda/contract';
import { resourceNames } from '../../lib/names';
import { startLocalApi, type LocalApi } from '../../local/local-api';
import { invalidStatusEvents } from '../helpers/handler-harness';
import { apiClient, type ApiClient } from '../e2e/client';

const SECRET = 'local-webhook-secret';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A webhook receiver; `failFirst` requests are answered 503 (the sender retries them). */
async function startReceiver(
  failFirst: number,
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = received.length < failFirst ? 503 : 200;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/tracking`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const LOCATION = { lat: 47.61, lng: -122.33 };

/** Posts the scenario for one shipment: pending, pending, in_transit, delivered, then an old pending scan. */
async function postScenario(client: ApiClient, trackingId: string) {
  const base = Date.now() - 10 * 60 * 1000;
  const at = (offsetMs: number) => new Date(base + offsetMs).toISOString();
  const updates = [
    { status: 'pending', event_time: at(0) },
    { status: 'pending', event_time: at(1000) },
    { status: 'in_transit', event_time: at(2000) },
    { status: 'delivered', event_time: at(3000) },
    { status: 'pending', event_time: at(-60 * 60 * 1000) },
  ];
  const timestamps: number[] = [];
  for (const update of updates) {
    const response = await client.request({
      method: 'POST',
      path: '/track',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tracking_id: trackingId, location: LOCATION, ...update }),
    });
    expect(response.status).toBe(200);
    timestamps.push(response.json.timestamp as number);
  }
  return { updates, timestamps };
}

describe('local API with realTimeNotifications on, --events-file and --webhook', () => {
  const log: string[] = [];
  let dir: string;
  let eventsFile: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let api: LocalApi;
  let client: ApiClient;
  const previousSecret = process.env.TAP_LOCAL_WEBHOOK_SECRET;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-events-'));
    eventsFile = path.join(dir, 'not-yet', 'there', 'events.jsonl');
    receiver = await startReceiver(1);
    process.env.TAP_LOCAL_WEBHOOK_SECRET = SECRET;
    api = await startLocalApi({
      port: 0,
      config: { realTimeNotifications: true },
      eventsFile,
      webhook: receiver.url,
      log: (line) => log.push(line),
      functionLog: () => undefined,
    });
    client = apiClient(api.url, api.region, async () => api.credentials);
  });
  afterAll(async () => {
    if (previousSecret === undefined) delete process.env.TAP_LOCAL_WEBHOOK_SECRET;
    else process.env.TAP_LOCAL_WEBHOOK_SECRET = previousSecret;
    await api?.close();
    await receiver?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the events file (and its directory) at start, and says where events go', () => {
    expect(fs.readFileSync(eventsFile, 'utf8')).toBe('');
    expect(api.eventBusName).toBe(resourceNames(api.stage).eventBus);
    expect(api.eventSinks).toEqual({ bus: 'tracking-events-dev', file: eventsFile, webhook: receiver.url });
    expect(api.args.featureFlags.real_time_notifications).toBe(true);
  });

  it('puts one event per transition: null → pending → in_transit → delivered, none for a repeat or a late scan', async () => {
    const trackingId = `EVT-${Date.now()}`;
    const { updates, timestamps } = await postScenario(client, trackingId);
    await api.mapping.idle();
    await api.webhookIdle();

    const transitions = [
      { previous_status: null, status: 'pending', event_time: updates[0].event_time, timestamp: timestamps[0] },
      {
        previous_status: 'pending',
        status: 'in_transit',
        event_time: updates[2].event_time,
        timestamp: timestamps[2],
      },
      {
        previous_status: 'in_transit',
        status: 'delivered',
        event_time: updates[3].event_time,
        timestamp: timestamps[3],
      },
    ];
    const details = transitions.map((t) => ({
      version: STATUS_EVENT.version,
      id: expect.stringMatching(new RegExp(`^${trackingId}/.+`)),
      tracking_id: trackingId,
      ...t,
      location: LOCATION,
      environment: api.stage,
    }));

    // The events file: exactly three lines, each exactly {Time, Source, DetailType, EventBusName, Detail}.
    const written = lines(eventsFile);
    expect(written).toHaveLength(3);
    for (const line of written) {
      expect(Object.keys(line)).toEqual(['Time', 'Source', 'DetailType', 'EventBusName', 'Detail']);
      expect(line).toEqual({
        Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        Source: STATUS_EVENT.source,
        DetailType: STATUS_EVENT.detailType,
        EventBusName: 'tracking-events-dev',
        Detail: expect.any(Object),
      });
    }
    expect(written.map((l) => l.Detail)).toEqual(details);
    const ids = written.map((l) => (l.Detail as { id: string }).id);
    expect(new Set(ids).size).toBe(3);

    // In memory too, every one valid against the contract.
    expect(api.events().map((e) => e.detail)).toEqual(written.map((l) => l.Detail));
    expect(invalidStatusEvents(api.events())).toEqual([]);

    // The webhook: the first delivery was answered 503 and retried; each detail delivered once with a 200.
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received[0].status).toBe(503);
    for (const request of receiver.received) {
      expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(request.headers['x-webhook-secret']).toBe(SECRET);
    }
    const delivered = receiver.received
      .filter((r) => r.status === 200)
      .map((r) => JSON.parse(r.body) as { timestamp: number })
      .sort((a, b) => a.timestamp - b.timestamp);
    expect(delivered).toEqual(details);
    expect(JSON.parse(receiver.received[0].body)).toEqual(delivered[0]);
    expect(log.some((l) => /^webhook .* answered 503 for event .* \(attempt 1 of 4\)$/.test(l))).toBe(true);
  });
});

describe('local API with realTimeNotifications off (the default)', () => {
  let dir: string;
  let eventsFile: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let api: LocalApi;
  let client: ApiClient;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tap-events-'));
    eventsFile = path.join(dir, 'events.jsonl');
    fs.writeFileSync(eventsFile, '{"kept":true}\n');
    receiver = await startReceiver(0);
    api = await startLocalApi({
      port: 0,
      eventsFile,
      webhook: receiver.url,
      log: () => undefined,
      functionLog: () => undefined,
    });
    client = apiClient(api.url, api.region, async () => api.credentials);
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('puts no event: the events file keeps what it had (never truncated), the webhook gets nothing', async () => {
    expect(api.args.featureFlags.real_time_notifications).toBe(false);
    await postScenario(client, `EVT-OFF-${Date.now()}`);
    await api.mapping.idle();
    await api.webhookIdle();
    expect(api.events()).toEqual([]);
    expect(api.aws.calls.of('eventbridge')).toEqual([]);
    expect(fs.readFileSync(eventsFile, 'utf8')).toBe('{"kept":true}\n');
    expect(receiver.received).toEqual([]);
  });
});
