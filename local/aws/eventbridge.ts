/**
 * The local EventBridge: PutEvents, the one call the product makes, in EventBridge's protocol
 * (awsJson1_1, `X-Amz-Target: AWSEvents.PutEvents`), so the real @aws-sdk/client-eventbridge
 * reaches it through AWS_ENDPOINT_URL_EVENTBRIDGE. Every accepted entry is kept (and handed to
 * `onEvent`: `npm start --events-file` / `--webhook`).
 *
 * PutEvents answers per entry: besides whole-call faults (`eventbridge:PutEvents=...`), a fault on
 * the pseudo-operation `PutEventsEntry` fails single entries (`eventbridge:PutEventsEntry=InternalFailure#1`),
 * answered as EventBridge does: `FailedEntryCount` and an `ErrorCode` in that entry's place.
 */
import { randomUUID } from 'crypto';
import type { CallLog, FaultInjector } from './faults';
import { AwsServiceError, startJsonProtocolServer } from './json-protocol';

/** An event as a rule target would see it (EventBridge's envelope), plus the bus it was put on. */
export interface LocalEvent {
  id: string;
  time: string;
  source: string;
  'detail-type': string;
  eventBusName: string;
  detail: unknown;
  resources: string[];
}

export interface LocalEventBridge {
  endpoint: string;
  /** Every accepted event since the start (or the last `clear()`), oldest first. */
  events(): LocalEvent[];
  /** Forgets the accepted events (between tests); `onEvent` has already seen them. */
  clear(): void;
  close(): Promise<void>;
}

/** EventBridge's per-call entry limit. */
const MAX_ENTRIES = 10;

export async function startEventBridge(opts: {
  faults: FaultInjector;
  calls: CallLog;
  region: string;
  accountId: string;
  /** Buses that exist (names); an entry for another bus fails as EventBridge answers it. */
  buses: string[];
  onEvent?: (event: LocalEvent) => void;
  port?: number;
}): Promise<LocalEventBridge> {
  const accepted: LocalEvent[] = [];
  const busArn = (name: string) => `arn:aws:events:${opts.region}:${opts.accountId}:event-bus/${name}`;
  /** The bus an entry names (by name or ARN; none is the account's `default` bus). */
  const busOf = (nameOrArn: unknown): string =>
    typeof nameOrArn === 'string' ? nameOrArn.replace(/^arn:aws:events:[^:]+:[0-9]+:event-bus\//, '') : 'default';

  const server = await startJsonProtocolServer({
    service: 'eventbridge',
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    faults: opts.faults,
    calls: opts.calls,
    port: opts.port,
    operations: {
      PutEvents: (input) => {
        const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
        if (entries.length < 1 || entries.length > MAX_ENTRIES) {
          throw new AwsServiceError(
            400,
            'ValidationException',
            `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
          );
        }
        let failed = 0;
        const results = entries.map((entry) => {
          const fail = (code: string, message: string) => {
            failed += 1;
            return { ErrorCode: code, ErrorMessage: message };
          };
          const injected = opts.faults.decide('eventbridge', 'PutEventsEntry', entry).error;
          if (injected) return fail(injected.code, 'injected fault (eventbridge:PutEventsEntry)');
          const bus = busOf(entry.EventBusName);
          if (!opts.buses.includes(bus)) return fail('InternalException', `Event bus ${bus} does not exist.`);
          if (
            typeof entry.Source !== 'string' ||
            typeof entry.DetailType !== 'string' ||
            typeof entry.Detail !== 'string'
          ) {
            return fail('InvalidArgument', 'Parameters Source, DetailType and Detail are required.');
          }
          let detail: unknown;
          try {
            detail = JSON.parse(entry.Detail);
          } catch {
            return fail('MalformedDetail', 'Detail is malformed.');
          }
          const event: LocalEvent = {
            id: randomUUID(),
            time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            source: entry.Source,
            'detail-type': entry.DetailType,
            eventBusName: busArn(bus),
            detail,
            resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
          };
          accepted.push(event);
          opts.onEvent?.(event);
          return { EventId: event.id };
        });
        return { FailedEntryCount: failed, Entries: results };
      },
    },
  });

  return {
    endpoint: server.endpoint,
    events: () => [...accepted],
    clear: () => {
      accepted.length = 0;
    },
    close: () => server.close(),
  };
}
