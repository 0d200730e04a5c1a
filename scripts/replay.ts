/**
 * `npm run replay`: drains updates parked on the queue (when DynamoDB refused them) back into the
 * tracking table, idempotently: each parked update carries its update_id, and the store's conditional
 * put treats "this timestamp already holds this update" as done. Replaying the same message twice,
 * or a message whose first replay was stored but not deleted, stores one item.
 *
 *   npm run replay -- [--queue-url URL] [--table-name NAME] [--max N] [--wait SECONDS]
 *
 * QUEUE_URL and TABLE_NAME (the function's own variable names) are read from the environment when
 * the flags are absent; endpoints and credentials come from the standard AWS SDK environment.
 * Two kinds of messages stay on the queue, are reported, and make the exit code 1:
 * - `failed`: a parked update the table refused this time (DynamoDB unhealthy or misconfigured): a
 *   later run replays it;
 * - `unreplayable`: a message that is no parked update at all (a body that does not parse, a foreign
 *   message such as a Lambda asynchronous-failure record, an invalid item): no later run can replay
 *   it; an operator inspects and deletes it. The summary lists each (message id and reason).
 * Every message is handled at most once per run (its id is remembered; a redelivery in the same run
 * is passed over), and the run stops when a receive brings nothing new: one run always terminates,
 * whatever the queue holds. A bad argument, or no queue or table, is exit code 2 (scripts/cli.ts);
 * -h/--help prints the usage.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '../lambda/aws-clients';
import { FUNCTION_ENV } from '../lambda/contract';
import { decodeParked } from '../lambda/park';
import { TrackingStore } from '../lambda/store';
import { CliError, cliExitCode, integerOption, parseCli, positiveInteger, type CliSpec } from './cli';

/** A replayed update may walk further than a live write: its timestamp is older. */
const REPLAY_MAX_TIMESTAMP_ATTEMPTS = 1000;
/** How long a message a run received stays hidden from other receivers (a failed one comes back after it). */
const DEFAULT_VISIBILITY_SECONDS = 60;
/** SQS's largest VisibilityTimeout: 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

export type ReplayOutcome = 'stored' | 'already-stored';

export interface ReplaySummary {
  /** ApproximateNumberOfMessages before the run (undefined when the queue would not say). */
  queuedBefore?: number;
  received: number;
  stored: number;
  alreadyStored: number;
  /** Parked updates the table refused in this run (left on the queue for a later run). */
  failed: number;
  /** Messages that are no parked update (left on the queue for an operator; see unreplayables). */
  unreplayable: number;
  /** Stored, but the message could not be deleted (a later replay finds it already stored). */
  notDeleted: number;
  failures: { messageId: string; error: string }[];
  unreplayables: { messageId: string; reason: string }[];
}

/** A message body that is no parked update this code (or the previous version) can decode. */
export class UnreplayableMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreplayableMessageError';
  }
}

export interface ReplayOptions {
  sqs: SQSClient;
  store: TrackingStore;
  queueUrl: string;
  /** Stop after this many messages (default 10 000). */
  maxMessages?: number;
  /** Long-poll wait per receive (default 1 s). */
  waitTimeSeconds?: number;
  /** How long a received message stays hidden from other receivers (default DEFAULT_VISIBILITY_SECONDS); a failed one comes back after it. */
  visibilityTimeoutSeconds?: number;
  log?: (line: string) => void;
}

/** Replays one parked message body into the table; UnreplayableMessageError when it is no parked update. */
export async function replayMessage(store: TrackingStore, body: string): Promise<ReplayOutcome> {
  let item;
  try {
    item = decodeParked(body);
  } catch (error) {
    throw new UnreplayableMessageError((error as Error).message, { cause: error });
  }
  const result = await store.put(item, { maxAttempts: REPLAY_MAX_TIMESTAMP_ATTEMPTS });
  return result.alreadyStored ? 'already-stored' : 'stored';
}

/** Receives, replays and deletes parked messages until the queue is empty (or maxMessages). */
export async function replayParkedUpdates(options: ReplayOptions): Promise<ReplaySummary> {
  const { sqs, store, queueUrl } = options;
  const max = options.maxMessages ?? 10_000;
  const log = options.log ?? (() => undefined);
  const visibilitySeconds = options.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS;
  const summary: ReplaySummary = {
    received: 0,
    stored: 0,
    alreadyStored: 0,
    failed: 0,
    unreplayable: 0,
    notDeleted: 0,
    failures: [],
    unreplayables: [],
  };

  try {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const approximate = Number(attributes.Attributes?.ApproximateNumberOfMessages);
    if (Number.isFinite(approximate)) summary.queuedBefore = approximate;
  } catch (error) {
    log(`could not read the queue depth: ${(error as Error).message}`);
  }

  // Every message handled in this run, whatever its outcome: one that comes back (its visibility
  // timeout ended, or its delete failed) is passed over, so the run never loops on a message.
  const seenIds = new Set<string>();
  while (summary.received < max) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max - summary.received),
        WaitTimeSeconds: options.waitTimeSeconds ?? 1,
        VisibilityTimeout: visibilitySeconds,
      }),
    );
    const messages = (answer.Messages ?? []).filter((m) => m.MessageId === undefined || !seenIds.has(m.MessageId));
    // Nothing new: the queue is drained, or holds only what this run already handled.
    if (messages.length === 0) break;
    for (const message of messages) {
      const messageId = message.MessageId ?? '(no id)';
      if (message.MessageId !== undefined) seenIds.add(message.MessageId);
      summary.received += 1;
      try {
        const outcome = await replayMessage(store, message.Body ?? '');
        if (outcome === 'stored') summary.stored += 1;
        else summary.alreadyStored += 1;
        log(`${messageId}: ${outcome}`);
      } catch (error) {
        if (error instanceof UnreplayableMessageError) {
          summary.unreplayable += 1;
          summary.unreplayables.push({ messageId, reason: error.message });
          log(`${messageId}: UNREPLAYABLE (${error.message}); left on the queue for an operator`);
          continue;
        }
        summary.failed += 1;
        summary.failures.push({ messageId, error: (error as Error).message });
        log(
          `${messageId}: FAILED (${(error as Error).message}); left on the queue, to be received again after ` +
            `${visibilitySeconds} s`,
        );
        continue;
      }
      try {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      } catch (error) {
        summary.notDeleted += 1;
        log(`${messageId}: stored, but not deleted (${(error as Error).message}); a later replay will skip it`);
      }
    }
  }
  return summary;
}

export interface ReplayArgs {
  queueUrl: string;
  tableName: string;
  maxMessages?: number;
  waitTimeSeconds?: number;
  visibilityTimeoutSeconds?: number;
}

export const REPLAY_CLI = {
  command: 'replay',
  usage: `usage: npm run replay -- [--queue-url URL] [--table-name NAME] [--max N] [--wait SECONDS] [--visibility SECONDS]

  --queue-url URL     the parking queue (default: $${FUNCTION_ENV.queueUrl})
  --table-name NAME   the tracking table (default: $${FUNCTION_ENV.tableName})
  --max N             stop after N messages (default 10000)
  --wait SECONDS      long-poll wait per receive, 0 to 20 (default 1)
  --visibility SECONDS
                      how long a received message stays hidden, 0 to 43200 (default ${DEFAULT_VISIBILITY_SECONDS});
                      a message that failed is received again after it, by a later run
  -h, --help          this text

Exit code 0, 1 if any message could not be replayed (failed, or unreplayable: no parked update), 2 if the queue or table is not configured.`,
  options: {
    'queue-url': { type: 'string' },
    'table-name': { type: 'string' },
    max: { type: 'string' },
    wait: { type: 'string' },
    visibility: { type: 'string' },
  },
} as const satisfies CliSpec;

/** Throws CliHelp for --help, CliError for a bad argument or a missing queue or table. */
export function parseReplayArgs(argv: string[], env: NodeJS.ProcessEnv): ReplayArgs {
  const values = parseCli(REPLAY_CLI, argv);
  const maxMessages = positiveInteger('--max', values.max);
  // SQS takes WaitTimeSeconds from 0 to 20.
  const waitTimeSeconds = integerOption('--wait', values.wait, 0, 20);
  // SQS takes a VisibilityTimeout from 0 to 12 hours.
  const visibilityTimeoutSeconds = integerOption('--visibility', values.visibility, 0, MAX_VISIBILITY_SECONDS);
  const queueUrl = values['queue-url'] ?? env[FUNCTION_ENV.queueUrl];
  const tableName = values['table-name'] ?? env[FUNCTION_ENV.tableName];
  if (!queueUrl) throw new CliError(`no queue: set ${FUNCTION_ENV.queueUrl} or pass --queue-url`);
  if (!tableName) throw new CliError(`no table: set ${FUNCTION_ENV.tableName} or pass --table-name`);
  return { queueUrl, tableName, maxMessages, waitTimeSeconds, visibilityTimeoutSeconds };
}

export function formatSummary(summary: ReplaySummary): string {
  const before = summary.queuedBefore === undefined ? '' : ` (queue held ~${summary.queuedBefore})`;
  return (
    `replay: received ${summary.received}${before}: stored ${summary.stored}, already stored ${summary.alreadyStored}, ` +
    `failed ${summary.failed}` +
    (summary.unreplayable > 0 ? `, unreplayable ${summary.unreplayable}` : '') +
    (summary.notDeleted > 0 ? `, not deleted ${summary.notDeleted}` : '') +
    summary.unreplayables.map((u) => `\n  unreplayable ${u.messageId}: ${u.reason}`).join('')
  );
}

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out = console.log,
  err = console.error,
): Promise<number> {
  let args: ReplayArgs;
  try {
    args = parseReplayArgs(argv, env);
  } catch (error) {
    return cliExitCode(REPLAY_CLI, error, out, err);
  }
  const sqs = new SQSClient(awsClientConfig());
  const dynamo = new DynamoDBClient(awsClientConfig());
  try {
    const store = new TrackingStore(
      DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      args.tableName,
    );
    const summary = await replayParkedUpdates({ ...args, sqs, store, log: out });
    out(formatSummary(summary));
    return summary.failed > 0 || summary.unreplayable > 0 ? 1 : 0;
  } catch (error) {
    err(`replay: ${(error as Error).message}`);
    return 1;
  } finally {
    sqs.destroy();
    dynamo.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
