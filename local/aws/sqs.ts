/**
 * A local stand-in for one SQS queue, spoken in SQS's JSON protocol (awsJson1_0,
 * `X-Amz-Target: AmazonSQS.<Operation>`), so the real @aws-sdk/client-sqs reaches it through
 * AWS_ENDPOINT_URL_SQS (or the queue URL itself) with no code change.
 *
 * Operations: SendMessage, SendMessageBatch, ReceiveMessage (visibility timeout honoured,
 * MaxNumberOfMessages, WaitTimeSeconds as a real long poll), DeleteMessage, DeleteMessageBatch,
 * ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl. MD5OfMessageBody / MD5OfBody and
 * MD5OfMessageAttributes are computed as SQS does (the SDK verifies the body digest).
 * `setFailing(true)` turns every call into a 500 InternalError, for fault tests.
 */
import { createHash, randomBytes, randomUUID } from 'crypto';
import { AwsServiceError, startJsonProtocolServer } from './json-protocol';

export interface LocalQueueMessage {
  id: string;
  body: string;
  /** The handle of the latest receive, if the message was ever received. */
  receiptHandle?: string;
}

export interface LocalSqs {
  endpoint: string;
  queueUrl: string;
  /** Messages not deleted yet (in flight or not), oldest first. */
  messages(): LocalQueueMessage[];
  /** Drops every message (test isolation). */
  purge(): void;
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

export interface LocalSqsOptions {
  port?: number;
  region?: string;
  accountId?: string;
  /** Seconds a received message stays invisible; the stack's queue uses 300. */
  visibilityTimeout?: number;
}

type MessageAttributeValue = { DataType: string; StringValue?: string; BinaryValue?: string };

interface StoredMessage {
  id: string;
  body: string;
  md5OfBody: string;
  attributes?: Record<string, MessageAttributeValue>;
  md5OfAttributes?: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

const MAX_MESSAGE_BYTES = 1024 * 1024;
const MAX_BATCH_ENTRIES = 10;
const RETENTION_SECONDS = 14 * 24 * 3600;
// Characters SQS accepts in a message body.
// eslint-disable-next-line no-control-regex
const INVALID_BODY_CHARACTERS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

/** MD5OfMessageAttributes, by SQS's documented algorithm (names sorted, length-prefixed fields). */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const parts: Buffer[] = [];
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    parts.push(lengthPrefixed(Buffer.from(name)), lengthPrefixed(Buffer.from(value.DataType)));
    if (value.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(value.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(value.StringValue ?? '')));
    }
  }
  return md5(Buffer.concat(parts));
}

const sqsError = (status: number, type: string, queryCode: string, message: string) =>
  new AwsServiceError(status, `com.amazonaws.sqs#${type}`, message, {
    'x-amzn-query-error': `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`,
  });

export async function startSqs(queueName: string, opts: LocalSqsOptions = {}): Promise<LocalSqs> {
  const region = opts.region ?? 'us-west-2';
  const accountId = opts.accountId ?? '123456789012';
  const defaultVisibility = opts.visibilityTimeout ?? 300;
  const queue: StoredMessage[] = [];
  const waiters = new Set<() => void>();
  let failing = false;
  let closed = false;
  let queueUrl = '';

  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const checkQueue = (input: Record<string, unknown>) => {
    const url = typeof input.QueueUrl === 'string' ? input.QueueUrl : '';
    // Any host naming this account's queue (localhost vs 127.0.0.1) is the queue, as in AWS.
    if (!url.endsWith(`/${accountId}/${queueName}`)) {
      throw sqsError(400, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    }
  };

  const accept = (body: unknown, attributes: unknown, delaySeconds: unknown) => {
    if (typeof body !== 'string' || body.length === 0) {
      throw sqsError(400, 'MissingParameter', 'MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (INVALID_BODY_CHARACTERS.test(body)) {
      throw sqsError(
        400,
        'InvalidMessageContents',
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    }
    if (Buffer.byteLength(body) > MAX_MESSAGE_BYTES) {
      throw sqsError(
        400,
        'InvalidParameterValue',
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
      );
    }
    const now = Date.now();
    const attrs =
      attributes && typeof attributes === 'object' && Object.keys(attributes).length > 0
        ? (attributes as Record<string, MessageAttributeValue>)
        : undefined;
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5OfBody: md5(body),
      attributes: attrs,
      md5OfAttributes: attrs ? md5OfMessageAttributes(attrs) : undefined,
      sentAt: now,
      visibleAt: now + 1000 * (typeof delaySeconds === 'number' ? delaySeconds : 0),
      receiveCount: 0,
    };
    queue.push(message);
    wake();
    return message;
  };

  const sent = (message: StoredMessage) => ({
    MessageId: message.id,
    MD5OfMessageBody: message.md5OfBody,
    ...(message.md5OfAttributes ? { MD5OfMessageAttributes: message.md5OfAttributes } : {}),
  });

  const batchEntries = (input: Record<string, unknown>) => {
    const entries = Array.isArray(input.Entries) ? (input.Entries as Record<string, unknown>[]) : [];
    if (entries.length === 0) {
      throw sqsError(400, 'EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
    }
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw sqsError(400, 'TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
    }
    if (new Set(entries.map((e) => e.Id)).size !== entries.length) {
      throw sqsError(400, 'BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    }
    return entries;
  };

  const byReceipt = (handle: unknown) => {
    if (typeof handle !== 'string' || !handle.startsWith('local-')) {
      throw sqsError(400, 'ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${String(handle)}" is not a valid receipt handle.`);
    }
    return queue.findIndex((m) => m.receiptHandle === handle);
  };

  const visibleNow = () => {
    const now = Date.now();
    return queue.filter((m) => m.visibleAt <= now);
  };

  const receive = async (input: Record<string, unknown>) => {
    const max = typeof input.MaxNumberOfMessages === 'number' ? input.MaxNumberOfMessages : 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw sqsError(400, 'InvalidParameterValue', 'InvalidParameterValue', `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    }
    const visibility = typeof input.VisibilityTimeout === 'number' ? input.VisibilityTimeout : defaultVisibility;
    const waitMs = 1000 * Math.min(20, typeof input.WaitTimeSeconds === 'number' ? input.WaitTimeSeconds : 0);
    const deadline = Date.now() + waitMs;
    let ready = visibleNow();
    while (ready.length === 0 && !closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        // Wake on a send, or poll again in a while (delayed or in-flight messages become visible).
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
    const wantedMessageAttributes = (input.MessageAttributeNames as string[] | undefined) ?? [];
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
      const all = wantedMessageAttributes.some((n) => n === 'All' || n === '.*');
      const messageAttributes = message.attributes
        ? Object.fromEntries(Object.entries(message.attributes).filter(([n]) => all || wantedMessageAttributes.includes(n)))
        : {};
      return {
        MessageId: message.id,
        ReceiptHandle: message.receiptHandle,
        MD5OfBody: message.md5OfBody,
        Body: message.body,
        ...(Object.keys(attributes).length ? { Attributes: attributes } : {}),
        ...(Object.keys(messageAttributes).length
          ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes) }
          : {}),
      };
    });
    return messages.length ? { Messages: messages } : {};
  };

  const server = await startJsonProtocolServer({
    targetPrefix: 'AmazonSQS',
    jsonVersion: '1.0',
    port: opts.port,
    beforeCall: () => {
      if (failing) throw sqsError(500, 'InternalError', 'InternalError', 'We encountered an internal error. Please try again. (local SQS set to fail)');
    },
    operations: {
      GetQueueUrl: (input) => {
        if (input.QueueName !== queueName) {
          throw sqsError(400, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
        }
        return { QueueUrl: queueUrl };
      },
      SendMessage: (input) => {
        checkQueue(input);
        return sent(accept(input.MessageBody, input.MessageAttributes, input.DelaySeconds));
      },
      SendMessageBatch: (input) => {
        checkQueue(input);
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of batchEntries(input)) {
          try {
            Successful.push({ Id: entry.Id, ...sent(accept(entry.MessageBody, entry.MessageAttributes, entry.DelaySeconds)) });
          } catch (error) {
            const e = error as AwsServiceError;
            Failed.push({ Id: entry.Id, SenderFault: true, Code: e.type.replace(/^.*#/, ''), Message: e.message });
          }
        }
        return { Successful, Failed };
      },
      ReceiveMessage: (input) => {
        checkQueue(input);
        return receive(input);
      },
      DeleteMessage: (input) => {
        checkQueue(input);
        const index = byReceipt(input.ReceiptHandle);
        // A handle of a message already deleted is accepted, as SQS does.
        if (index >= 0) queue.splice(index, 1);
        return {};
      },
      DeleteMessageBatch: (input) => {
        checkQueue(input);
        const Successful: unknown[] = [];
        const Failed: unknown[] = [];
        for (const entry of batchEntries(input)) {
          try {
            const index = byReceipt(entry.ReceiptHandle);
            if (index >= 0) queue.splice(index, 1);
            Successful.push({ Id: entry.Id });
          } catch (error) {
            Failed.push({ Id: entry.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: (error as Error).message });
          }
        }
        return { Successful, Failed };
      },
      ChangeMessageVisibility: (input) => {
        checkQueue(input);
        const index = byReceipt(input.ReceiptHandle);
        if (index < 0) {
          throw sqsError(400, 'MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.');
        }
        queue[index].visibleAt = Date.now() + 1000 * Number(input.VisibilityTimeout ?? 0);
        wake();
        return {};
      },
      GetQueueAttributes: (input) => {
        checkQueue(input);
        const now = Date.now();
        const all: Record<string, string> = {
          QueueArn: `arn:aws:sqs:${region}:${accountId}:${queueName}`,
          ApproximateNumberOfMessages: String(queue.filter((m) => m.visibleAt <= now).length),
          ApproximateNumberOfMessagesNotVisible: String(queue.filter((m) => m.visibleAt > now && m.receiveCount > 0).length),
          ApproximateNumberOfMessagesDelayed: String(queue.filter((m) => m.visibleAt > now && m.receiveCount === 0).length),
          VisibilityTimeout: String(defaultVisibility),
          MessageRetentionPeriod: String(RETENTION_SECONDS),
          MaximumMessageSize: String(MAX_MESSAGE_BYTES),
          DelaySeconds: '0',
          ReceiveMessageWaitTimeSeconds: '0',
          SqsManagedSseEnabled: 'true',
        };
        const names = (input.AttributeNames as string[] | undefined) ?? [];
        const attributes = Object.fromEntries(Object.entries(all).filter(([n]) => names.includes('All') || names.includes(n)));
        return { Attributes: attributes };
      },
    },
  });

  queueUrl = `${server.endpoint}/${accountId}/${queueName}`;
  return {
    endpoint: server.endpoint,
    queueUrl,
    messages: () => queue.map((m) => ({ id: m.id, body: m.body, ...(m.receiptHandle ? { receiptHandle: m.receiptHandle } : {}) })),
    purge: () => {
      queue.length = 0;
    },
    setFailing: (value) => {
      failing = value;
    },
    close: async () => {
      closed = true;
      wake();
      await server.close();
    },
  };
}
