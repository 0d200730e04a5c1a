/**
 * The local event source mapping from a DynamoDB stream (local/aws/stream.ts) to a function: what
 * Lambda's poller does for a DynamoDB stream mapping with FilterCriteria, ReportBatchItemFailures,
 * BisectBatchOnFunctionError, MaximumRetryAttempts, MaximumRecordAgeInSeconds and an on-failure
 * destination (the settings are the stack's, TapStackArgs.stream, and lib/stream.ts's flags).
 *
 *   - Records are read in stream order, from the trim horizon (the stack's StartingPosition) or the
 *     latest record. Records the filter rejects are dropped: they never reach the function and do not
 *     count towards a batch.
 *   - A batch holds at most `batchSize` records (and at most 6 MB of event, Lambda's payload limit).
 *     It is sent when full, or once `batchWindowSeconds` have passed since its first record arrived
 *     (0: at once; records that arrived while the previous batch was in flight go at once too).
 *   - The answer, with ReportBatchItemFailures: none, `{}`, or an empty / null `batchItemFailures`
 *     is a success (the checkpoint moves past the batch). A list of failures: the records before the
 *     lowest failed sequence number are done, that record and all after it in the batch are retried.
 *     A malformed answer (not an object, an itemIdentifier empty, missing or not in the batch) is a
 *     failure of the whole batch, like a function error.
 *   - A function error (or a malformed answer): with BisectBatchOnFunctionError the batch is split in
 *     two halves, processed one after the other, each split again on failure; a split is not a retry
 *     (Lambda's rule: bisecting does not consume the retry quota). A batch of one, or without
 *     bisecting, is retried as it is.
 *   - Retries are counted per record (every failed delivery of it that is retried as it is, or from a
 *     reported failure on). Once a record of the failed batch has been retried `maxRetries` times and
 *     fails again, ONE failure record for that batch goes to the destination and the mapping moves on
 *     past it. Before every invocation, records older than `maxRecordAgeSeconds` (by their
 *     ApproximateCreationDateTime) at the head of the batch are sent to the destination the same way
 *     (condition RecordAgeExceeded) without invoking. -1 for either: no limit.
 *   - An invoke that could not be made (the `invoke` promise rejects: Lambda's throttling or service
 *     errors) is retried with a backoff, without counting a retry, until the records are too old.
 *   - The failure record is Lambda's: requestContext, responseContext, version, timestamp and
 *     DDBStreamBatchInfo (shard, first and last sequence numbers, arrival times, batch size, stream
 *     ARN), never the records themselves. A destination that refuses it is retried (the mapping does
 *     not move on until it is sent, so nothing is dropped unrecorded).
 *
 * One shard, ParallelizationFactor 1: one batch at a time, so the order of records (and of an
 * item's changes) is kept. Not modelled: resharding, the stream's 24 h retention, tumbling windows,
 * the 4-per-second polling cadence (a new record wakes the mapping at once).
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes, randomUUID } from 'crypto';
import type { StreamRecord, StreamSource } from '../aws/stream';
import { compileFilter, type FilterPattern } from './filter-pattern';
import type { InvokeOutcome } from './lambda-runtime';
import { newTraceId } from './proxy-event';

/** The mapping's settings: TapStackArgs.stream, plus the two flags the stack sets (both default true). */
export interface StreamMappingSettings {
  batchSize: number;
  batchWindowSeconds: number;
  /** Retries of a failed batch before it goes to the destination; -1: until the records are too old. */
  maxRetries: number;
  /** Records older than this go to the destination unprocessed; -1: no limit. */
  maxRecordAgeSeconds: number;
  bisectBatchOnFunctionError?: boolean;
  reportBatchItemFailures?: boolean;
}

/** The event the function receives (a DynamoDBStreamEvent). */
interface StreamEvent {
  Records: StreamRecord[];
}

type StreamInvoke = (event: StreamEvent, invocation: { requestId: string; traceId: string }) => Promise<InvokeOutcome>;

type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** What Lambda sends to a DynamoDB stream mapping's on-failure destination. */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  /** The last invocation's answer; absent when the records were discarded without one. */
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export type FailureDestination = (record: StreamFailureRecord) => Promise<void>;

export interface EventSourceMappingOptions {
  stream: StreamSource;
  /** FilterCriteria: one pattern or several alternatives (e.g. STREAM_FILTER_PATTERN); none = every record. */
  filter?: FilterPattern | readonly FilterPattern[];
  settings: StreamMappingSettings;
  invoke: StreamInvoke;
  /** The on-failure destination (see sqsFailureDestination); without one, failed batches are dropped (logged). */
  onFailure?: FailureDestination;
  /** Named in failure records; default a function `stream-consumer` in the stream's region and account. */
  functionArn?: string;
  /** Default TRIM_HORIZON (the stack's). */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** One line per notable event (failures, bisects, discards); default none. */
  log?: (line: string) => void;
  /** The clock for record ages and failure-record timestamps (ms since the epoch); default Date.now. */
  now?: () => number;
}

interface EventSourceMappingStats {
  invocations: number;
  /** Records the filter dropped. */
  filtered: number;
  /** Records the function processed (a successful answer covering them). */
  processed: number;
  /** Records sent to the destination (or dropped without one). */
  discarded: number;
  /** Failure records sent to the destination. */
  failureRecords: number;
}

export interface EventSourceMapping {
  /** Resolves once every record in the stream now has been processed, filtered out or discarded. */
  idle(): Promise<void>;
  /** Stops after the invocation (or destination send) in flight; unfinished records stay unprocessed. */
  stop(): Promise<void>;
  stats(): EventSourceMappingStats;
}

/** Lambda's limit on a synchronous invocation's payload, which bounds a batch too. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const INVOKE_BACKOFF_MS = { first: 100, max: 5000 };
const DESTINATION_BACKOFF_MS = { first: 100, max: 5000 };

/** Sends failure records to an SQS queue (the stack's failure queue), as Lambda does: the record as the body. */
export function sqsFailureDestination(client: SQSClient, queueUrl: string): FailureDestination {
  return async (record) => {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
  };
}

interface Waiting {
  record: StreamRecord;
  observedAt: number;
  bytes: number;
}

/** Part of a batch still to deliver, with the last invocation that failed it. */
interface Segment {
  records: StreamRecord[];
  last?: { requestId: string; functionError?: string };
}

type Verdict =
  { kind: 'success' } | { kind: 'partial'; index: number; count: number } | { kind: 'failure'; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sequenceOf = (record: StreamRecord) => record.dynamodb.SequenceNumber;
/** An arrival time as Lambda writes it: whole seconds, `2025-06-05T18:21:49Z`. */
const arrival = (record: StreamRecord) =>
  new Date(record.dynamodb.ApproximateCreationDateTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const range = (records: StreamRecord[]) =>
  records.length === 1 ? sequenceOf(records[0]) : `${sequenceOf(records[0])}..${sequenceOf(records.at(-1)!)}`;

function checkSettings(settings: StreamMappingSettings): void {
  const integer = (name: keyof StreamMappingSettings, min: number) => {
    const value = settings[name];
    if (!Number.isInteger(value) || (value as number) < min) {
      throw new Error(`event source mapping: ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
  };
  integer('batchSize', 1);
  integer('batchWindowSeconds', 0);
  integer('maxRetries', -1);
  integer('maxRecordAgeSeconds', -1);
}

class StreamMapping implements EventSourceMapping {
  private readonly accepts: (record: unknown) => boolean;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly functionArn: string;
  private readonly bisect: boolean;
  private readonly reportFailures: boolean;
  /** The last sequence number read from the stream. */
  private readCursor: string | undefined;
  private pending: Waiting[] = [];
  /** Records of the batch being delivered, not finished yet (in order). */
  private working: StreamRecord[] = [];
  private readonly retries = new Map<string, number>();
  private readonly invocations = new Map<string, number>();
  private readonly counters: EventSourceMappingStats = {
    invocations: 0,
    filtered: 0,
    processed: 0,
    discarded: 0,
    failureRecords: 0,
  };
  private waiters: { target: bigint; resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly sleepers = new Set<{ onRecord: boolean; done: () => void }>();
  private stopping = false;
  private readonly unsubscribe: () => void;
  private readonly loop: Promise<void>;

  constructor(private readonly options: EventSourceMappingOptions) {
    checkSettings(options.settings);
    this.accepts = options.filter === undefined ? () => true : compileFilter(options.filter);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.bisect = options.settings.bisectBatchOnFunctionError ?? true;
    this.reportFailures = options.settings.reportBatchItemFailures ?? true;
    const [, , , region = 'us-east-1', account = '000000000000'] = options.stream.streamArn.split(':');
    this.functionArn = options.functionArn ?? `arn:aws:lambda:${region}:${account}:function:stream-consumer`;
    if ((options.startingPosition ?? 'TRIM_HORIZON') === 'LATEST') {
      this.readCursor = options.stream.latestSequenceNumber();
    }
    this.unsubscribe = options.stream.subscribe(() => this.notify());
    this.loop = this.run().catch((error: unknown) => {
      this.log(`stream mapping stopped on an unexpected error: ${(error as Error).stack ?? String(error)}`);
      this.stopping = true;
      this.settleWaiters();
    });
  }

  stats(): EventSourceMappingStats {
    return { ...this.counters };
  }

  idle(): Promise<void> {
    const latest = this.options.stream.latestSequenceNumber();
    if (latest === undefined || this.reached(BigInt(latest))) return Promise.resolve();
    if (this.stopping) return Promise.reject(new Error('the event source mapping is stopped'));
    return new Promise((resolve, reject) => this.waiters.push({ target: BigInt(latest), resolve, reject }));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe();
    for (const sleeper of [...this.sleepers]) sleeper.done();
    await this.loop;
    this.settleWaiters();
  }

  // -- the poller ------------------------------------------------------------------------------

  private async run(): Promise<void> {
    const { batchSize, batchWindowSeconds } = this.options.settings;
    while (!this.stopping) {
      this.pull();
      if (this.pending.length === 0) {
        await this.sleep();
        continue;
      }
      const full =
        this.pending.length >= batchSize || this.pending.reduce((sum, w) => sum + w.bytes, 0) >= MAX_PAYLOAD_BYTES;
      if (!full && batchWindowSeconds > 0) {
        const wait = this.pending[0].observedAt + batchWindowSeconds * 1000 - Date.now();
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
      }
      await this.deliver(this.takeBatch());
    }
  }

  /** Reads what is new in the stream: filtered records are done at once, the others wait for a batch. */
  private pull(): void {
    const records = this.options.stream.read({ after: this.readCursor });
    if (records.length === 0) return;
    const observedAt = Date.now();
    for (const record of records) {
      this.readCursor = sequenceOf(record);
      if (this.accepts(record)) {
        this.pending.push({ record, observedAt, bytes: Buffer.byteLength(JSON.stringify(record)) + 1 });
      } else {
        this.counters.filtered += 1;
      }
    }
    this.settleWaiters();
  }

  private takeBatch(): StreamRecord[] {
    let count = 0;
    let bytes = 16; // {"Records":[]}
    while (count < this.pending.length && count < this.options.settings.batchSize) {
      const next = this.pending[count].bytes;
      if (count > 0 && bytes + next > MAX_PAYLOAD_BYTES) break;
      bytes += next;
      count += 1;
    }
    const batch = this.pending.splice(0, count).map((w) => w.record);
    this.working = [...batch];
    return batch;
  }

  /** Delivers one batch: retries, bisects and discards until every record of it is finished (or stop). */
  private async deliver(batch: StreamRecord[]): Promise<void> {
    const { maxRetries } = this.options.settings;
    const queue: Segment[] = [{ records: batch }];
    let invokeBackoff = 0;
    while (queue.length > 0 && !this.stopping) {
      const segment = queue[0];
      const expired = this.expiredHead(segment.records);
      if (expired > 0) {
        const old = segment.records.slice(0, expired);
        if (!(await this.discard(old, 'RecordAgeExceeded', segment.last))) return;
        segment.records = segment.records.slice(expired);
        if (segment.records.length === 0) queue.shift();
        continue;
      }

      const requestId = randomUUID();
      const traceId = `${newTraceId(this.now())};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
      let outcome: InvokeOutcome;
      try {
        outcome = await this.options.invoke({ Records: segment.records }, { requestId, traceId });
      } catch (error) {
        // Not the function's answer: Lambda could not invoke it. Retried until the records are too old.
        invokeBackoff = Math.min(INVOKE_BACKOFF_MS.max, invokeBackoff ? invokeBackoff * 2 : INVOKE_BACKOFF_MS.first);
        this.log(`stream mapping: could not invoke (${(error as Error).message}); again in ${invokeBackoff} ms`);
        await this.sleep(invokeBackoff, false);
        continue;
      }
      invokeBackoff = 0;
      this.counters.invocations += 1;
      for (const record of segment.records) {
        this.invocations.set(sequenceOf(record), (this.invocations.get(sequenceOf(record)) ?? 0) + 1);
      }

      const verdict = this.judge(outcome, segment.records);
      if (verdict.kind === 'success') {
        this.finish(segment.records, 'processed');
        queue.shift();
        continue;
      }
      if (verdict.kind === 'partial') {
        this.finish(segment.records.slice(0, verdict.index), 'processed');
        segment.records = segment.records.slice(verdict.index);
        segment.last = { requestId };
        this.log(
          `stream mapping: ${verdict.count} of ${verdict.index + segment.records.length} records failed; retrying from ${sequenceOf(segment.records[0])} (${segment.records.length} records)`,
        );
      } else {
        segment.last = { requestId, ...(outcome.ok ? {} : { functionError: 'Unhandled' }) };
        if (this.bisect && segment.records.length > 1) {
          const half = Math.ceil(segment.records.length / 2);
          const halves = [segment.records.slice(0, half), segment.records.slice(half)];
          queue.splice(0, 1, ...halves.map((records) => ({ records, last: segment.last })));
          this.log(
            `stream mapping: batch ${range(segment.records)} failed (${verdict.reason}); bisected into ${halves[0].length} + ${halves[1].length}`,
          );
          continue;
        }
        this.log(`stream mapping: batch ${range(segment.records)} failed (${verdict.reason})`);
      }

      // The same records again: a retry for each of them.
      let exhausted = false;
      for (const record of segment.records) {
        const count = (this.retries.get(sequenceOf(record)) ?? 0) + 1;
        this.retries.set(sequenceOf(record), count);
        if (maxRetries >= 0 && count > maxRetries) exhausted = true;
      }
      if (exhausted) {
        if (!(await this.discard(segment.records, 'RetryAttemptsExhausted', segment.last))) return;
        queue.shift();
      }
    }
  }

  /** How many records at the head of a batch are older than maxRecordAgeSeconds. */
  private expiredHead(records: StreamRecord[]): number {
    const maxAge = this.options.settings.maxRecordAgeSeconds;
    if (maxAge < 0) return 0;
    const now = this.now();
    const index = records.findIndex((r) => now - r.dynamodb.ApproximateCreationDateTime * 1000 <= maxAge * 1000);
    return index < 0 ? records.length : index;
  }

  private judge(outcome: InvokeOutcome, records: StreamRecord[]): Verdict {
    if (!outcome.ok) return { kind: 'failure', reason: `${outcome.errorType}: ${outcome.errorMessage}` };
    if (!this.reportFailures) return { kind: 'success' };
    const answer = outcome.payload;
    if (answer === null || answer === undefined) return { kind: 'success' };
    if (!isObject(answer)) return { kind: 'failure', reason: `the answer ${JSON.stringify(answer)} is not an object` };
    const failures = answer.batchItemFailures;
    if (failures === null || failures === undefined) return { kind: 'success' };
    if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
    if (failures.length === 0) return { kind: 'success' };
    let lowest = Infinity;
    for (const failure of failures) {
      const id = isObject(failure) ? failure.itemIdentifier : undefined;
      if (typeof id !== 'string' || id === '') {
        return { kind: 'failure', reason: `batch item failure ${JSON.stringify(failure)} has no itemIdentifier` };
      }
      const index = records.findIndex((r) => sequenceOf(r) === id);
      if (index < 0) return { kind: 'failure', reason: `itemIdentifier ${id} is not a record of the batch` };
      lowest = Math.min(lowest, index);
    }
    return { kind: 'partial', index: lowest, count: failures.length };
  }

  /** Sends one failure record for these records; false when stopped before it could be sent. */
  private async discard(records: StreamRecord[], condition: FailureCondition, last: Segment['last']): Promise<boolean> {
    const invokeCount = Math.max(0, ...records.map((r) => this.invocations.get(sequenceOf(r)) ?? 0));
    const failure: StreamFailureRecord = {
      requestContext: {
        requestId: last?.requestId ?? randomUUID(),
        functionArn: this.functionArn,
        condition,
        approximateInvokeCount: invokeCount,
      },
      ...(last
        ? {
            responseContext: {
              statusCode: 200,
              executedVersion: '$LATEST',
              ...(last.functionError ? { functionError: last.functionError } : {}),
            },
          }
        : {}),
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: this.options.stream.shardId,
        startSequenceNumber: sequenceOf(records[0]),
        endSequenceNumber: sequenceOf(records.at(-1)!),
        approximateArrivalOfFirstRecord: arrival(records[0]),
        approximateArrivalOfLastRecord: arrival(records.at(-1)!),
        batchSize: records.length,
        streamArn: this.options.stream.streamArn,
      },
    };
    const { onFailure } = this.options;
    if (!onFailure) {
      this.log(`stream mapping: ${condition}: dropped ${range(records)} (no on-failure destination)`);
      this.finish(records, 'discarded');
      return true;
    }
    let backoff = 0;
    for (;;) {
      try {
        await onFailure(failure);
        break;
      } catch (error) {
        if (this.stopping) return false;
        backoff = Math.min(DESTINATION_BACKOFF_MS.max, backoff ? backoff * 2 : DESTINATION_BACKOFF_MS.first);
        this.log(
          `stream mapping: the on-failure destination refused (${(error as Error).message}); again in ${backoff} ms`,
        );
        await this.sleep(backoff, false);
        if (this.stopping) return false;
      }
    }
    this.log(
      `stream mapping: ${condition}: ${range(records)} (${records.length} records) sent to the on-failure destination`,
    );
    this.counters.failureRecords += 1;
    this.finish(records, 'discarded');
    return true;
  }

  private finish(records: StreamRecord[], how: 'processed' | 'discarded'): void {
    if (records.length === 0) return;
    const done = new Set(records);
    this.working = this.working.filter((r) => !done.has(r));
    for (const record of records) {
      this.retries.delete(sequenceOf(record));
      this.invocations.delete(sequenceOf(record));
    }
    this.counters[how] += records.length;
    this.settleWaiters();
  }

  // -- waiting ---------------------------------------------------------------------------------

  /** Whether every record up to `target` is finished. */
  private reached(target: bigint): boolean {
    if (this.readCursor === undefined || BigInt(this.readCursor) < target) return false;
    const first = this.working[0] ?? this.pending[0]?.record;
    return first === undefined || BigInt(sequenceOf(first)) > target;
  }

  private settleWaiters(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (this.reached(waiter.target)) waiter.resolve();
      else if (this.stopping) waiter.reject(new Error('the event source mapping stopped before it got there'));
      else this.waiters.push(waiter);
    }
  }

  private notify(): void {
    for (const sleeper of [...this.sleepers]) if (sleeper.onRecord) sleeper.done();
  }

  /** Waits for the timeout, stop(), or (unless `onRecord` is false) a new record in the stream. */
  private sleep(ms?: number, onRecord = true): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const sleeper = {
        onRecord,
        done: () => {
          clearTimeout(timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      if (ms !== undefined) timer = setTimeout(sleeper.done, ms);
      this.sleepers.add(sleeper);
    });
  }
}

/** Starts delivering the stream's records to the function; stop() it when done. */
export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  return new StreamMapping(options);
}
