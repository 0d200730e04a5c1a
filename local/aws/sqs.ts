/**
 * The local SQS: the calls the product makes, spoken in SQS's JSON protocol (awsJson1_0,
 * `X-Amz-Target: AmazonSQS.<Operation>`), so the real @aws-sdk/client-sqs reaches it through
 * AWS_ENDPOINT_URL_SQS with no code change. SendMessage (the function parks an update),
 * ReceiveMessage (visibility timeout honoured, MaxNumberOfMessages, WaitTimeSeconds as a real long
 * poll), DeleteMessage and GetQueueAttributes (`npm run replay`). MD5OfMessageBody is computed as SQS
 * does (the SDK verifies it). One server holds any number of queues, by name.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import type { CallLog, FaultInjector } from './faults';
import { AwsServiceError, startJsonProtocolServer } from './json-protocol';

interface LocalQueueMessage {
  id: string;
  body: string;
  /** How often the message was received (its ApproximateReceiveCount). */
  receiveCount: number;
}

export interface LocalQueue {
  url: string;
  arn: string;
  /** Messages not deleted yet (in flight or not), oldest first. */
  messages(): LocalQueueMessage[];
  /** Drops every message (test isolation). */
  purge(): void;
}

export interface LocalSqs {
  endpoint: string;
  queue(name: string): LocalQueue;
  close(): Promise<void>;
}

interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

const MAX_MESSAGE_BYTES = 1024 * 1024;
const RETENTION_SECONDS = 14 * 24 * 3600;
// Characters SQS accepts in a message body.
// eslint-disable-next-line no-control-regex
const INVALID_BODY_CHARACTERS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** SQS's JSON protocol still carries the query protocol's error code in a header the SDK reads. */
const QUERY_ERROR_CODES: Record<string, string> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
};

const sqsError = (status: number, code: string, message: string) => new AwsServiceError(status, code, message);

export async function startSqs(
  queueNames: string[],
  opts: {
    faults: FaultInjector;
    calls: CallLog;
    region: string;
    accountId: string;
    visibilityTimeout?: number;
    port?: number;
  },
): Promise<LocalSqs> {
  const { region, accountId } = opts;
  const defaultVisibility = opts.visibilityTimeout ?? 300;
  const queues = new Map<string, StoredMessage[]>(queueNames.map((name) => [name, []]));
  const waiters = new Set<() => void>();
  let closed = false;

  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };

  /** Any host naming this account's queue (localhost vs 127.0.0.1) is the queue, as in AWS. */
  const queueOf = (input: Record<string, unknown>): StoredMessage[] => {
    const url = typeof input.QueueUrl === 'string' ? input.QueueUrl : '';
    const match = new RegExp(`/${accountId}/([^/]+)$`).exec(url);
    const queue = match ? queues.get(match[1]) : undefined;
    if (!queue) throw sqsError(400, 'QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  };

  const receive = async (queue: StoredMessage[], input: Record<string, unknown>) => {
    const max = typeof input.MaxNumberOfMessages === 'number' ? input.MaxNumberOfMessages : 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw sqsError(
        400,
        'InvalidParameterValue',
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const visibility = typeof input.VisibilityTimeout === 'number' ? input.VisibilityTimeout : defaultVisibility;
    const deadline =
      Date.now() + 1000 * Math.min(20, typeof input.WaitTimeSeconds === 'number' ? input.WaitTimeSeconds : 0);
    const visibleNow = () => queue.filter((m) => m.visibleAt <= Date.now());
    let ready = visibleNow();
    while (ready.length === 0 && !closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        // Wake on a send, or poll again in a while (in-flight messages become visible).
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(250, Math.max(0, deadline - Date.now())));
        waiters.add(done);
      });
      ready = visibleNow();
    }
    const wanted = new Set([
      ...((input.AttributeNames as string[] | undefined) ?? []),
      ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
    ]);
    const now = Date.now();
    const messages = ready.slice(0, max).map((message) => {
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibility * 1000;
      message.receiptHandle = `local-${randomBytes(24).toString('base64url')}`;
      const system: Record<string, string> = {
        SenderId: accountId,
        SentTimestamp: String(message.sentAt),
        ApproximateReceiveCount: String(message.receiveCount),
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
      };
      const attributes = Object.fromEntries(
        Object.entries(system).filter(([name]) => wanted.has('All') || wanted.has(name)),
      );
      return {
        MessageId: message.id,
        ReceiptHandle: message.receiptHandle,
        MD5OfBody: message.md5OfBody,
        Body: message.body,
        ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
      };
    });
    return messages.length ? { Messages: messages } : {};
  };

  const server = await startJsonProtocolServer({
    service: 'sqs',
    targetPrefix: 'AmazonSQS',
    jsonVersion: '1.0',
    faults: opts.faults,
    calls: opts.calls,
    port: opts.port,
    renderError: (code, status) => ({
      type: `com.amazonaws.sqs#${code}`,
      headers: { 'x-amzn-query-error': `${QUERY_ERROR_CODES[code] ?? code};${status >= 500 ? 'Receiver' : 'Sender'}` },
    }),
    operations: {
      SendMessage: (input) => {
        const queue = queueOf(input);
        const body = input.MessageBody;
        if (typeof body !== 'string' || body.length === 0) {
          throw sqsError(400, 'MissingParameter', 'The request must contain the parameter MessageBody.');
        }
        if (INVALID_BODY_CHARACTERS.test(body)) {
          throw sqsError(
            400,
            'InvalidMessageContents',
            'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
          );
        }
        if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
          throw sqsError(
            400,
            'InvalidParameterValue',
            `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
          );
        }
        const now = Date.now();
        const message: StoredMessage = {
          id: randomUUID(),
          body,
          md5OfBody: createHash('md5').update(body).digest('hex'),
          sentAt: now,
          visibleAt: now,
          receiveCount: 0,
        };
        queue.push(message);
        wake();
        return { MessageId: message.id, MD5OfMessageBody: message.md5OfBody };
      },
      ReceiveMessage: (input) => receive(queueOf(input), input),
      DeleteMessage: (input) => {
        const queue = queueOf(input);
        const handle = input.ReceiptHandle;
        if (typeof handle !== 'string' || !handle.startsWith('local-')) {
          throw sqsError(
            400,
            'ReceiptHandleIsInvalid',
            `The input receipt handle "${String(handle)}" is not a valid receipt handle.`,
          );
        }
        // A handle of a message already deleted is accepted, as SQS does.
        const index = queue.findIndex((m) => m.receiptHandle === handle);
        if (index >= 0) queue.splice(index, 1);
        return {};
      },
      GetQueueAttributes: (input) => {
        const queue = queueOf(input);
        const now = Date.now();
        const all: Record<string, string> = {
          QueueArn: `arn:aws:sqs:${region}:${accountId}:${/([^/]+)$/.exec(String(input.QueueUrl))?.[1]}`,
          ApproximateNumberOfMessages: String(queue.filter((m) => m.visibleAt <= now).length),
          ApproximateNumberOfMessagesNotVisible: String(queue.filter((m) => m.visibleAt > now).length),
          VisibilityTimeout: String(defaultVisibility),
          MessageRetentionPeriod: String(RETENTION_SECONDS),
          MaximumMessageSize: String(MAX_MESSAGE_BYTES),
          SqsManagedSseEnabled: 'true',
        };
        const names = (input.AttributeNames as string[] | undefined) ?? [];
        return {
          Attributes: Object.fromEntries(
            Object.entries(all).filter(([n]) => names.includes('All') || names.includes(n)),
          ),
        };
      },
    },
  });

  const queue = (name: string): LocalQueue => {
    const messages = queues.get(name);
    if (!messages) throw new Error(`the local SQS has no queue ${name}; it has ${[...queues.keys()].join(', ')}`);
    return {
      url: `${server.endpoint}/${accountId}/${name}`,
      arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
      messages: () => messages.map((m) => ({ id: m.id, body: m.body, receiveCount: m.receiveCount })),
      purge: () => void messages.splice(0, messages.length),
    };
  };

  return {
    endpoint: server.endpoint,
    queue,
    close: async () => {
      closed = true;
      wake();
      await server.close();
    },
  };
}
