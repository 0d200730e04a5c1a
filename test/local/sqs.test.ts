/** The local SQS stand-in, driven by the real @aws-sdk/client-sqs (which verifies the MD5 of each body). */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { CallLog, FaultInjector } from '../../local/aws/faults';
import { LOCAL_ACCOUNT_ID } from '../../local/aws';
import { startSqs, type LocalQueue, type LocalSqs } from '../../local/aws/sqs';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local SQS (awsJson1_0)', () => {
  const faults = new FaultInjector();
  const calls = new CallLog();
  let sqs: LocalSqs;
  let queue: LocalQueue;
  let other: LocalQueue;
  let client: SQSClient;
  let QueueUrl: string;

  beforeAll(async () => {
    sqs = await startSqs(['tracking-dlq-dev', 'tracking-other-dev'], {
      faults,
      calls,
      region: 'us-west-2',
      accountId: LOCAL_ACCOUNT_ID,
    });
    queue = sqs.queue('tracking-dlq-dev');
    other = sqs.queue('tracking-other-dev');
    QueueUrl = queue.url;
    client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-west-2', credentials, maxAttempts: 1 });
  });
  afterEach(() => {
    faults.clear();
    calls.clear();
    queue.purge();
    other.purge();
  });
  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  it('names the queue like SQS (URL and ARN)', () => {
    expect(QueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/123456789012\/tracking-dlq-dev$/);
    expect(QueueUrl).toBe(`${sqs.endpoint}/123456789012/tracking-dlq-dev`);
    expect(queue.arn).toBe('arn:aws:sqs:us-west-2:123456789012:tracking-dlq-dev');
  });

  it('holds several queues apart, and names the ones it has when asked for another', async () => {
    await client.send(new SendMessageCommand({ QueueUrl: other.url, MessageBody: 'for the other queue' }));
    expect(other.messages()).toEqual([expect.objectContaining({ body: 'for the other queue' })]);
    expect(queue.messages()).toEqual([]);
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    expect(() => sqs.queue('nope')).toThrow(
      'the local SQS has no queue nope; it has tracking-dlq-dev, tracking-other-dev',
    );
  });

  it('finds a queue by its URL whatever the host (localhost or 127.0.0.1), as SQS does', async () => {
    await client.send(
      new SendMessageCommand({ QueueUrl: QueueUrl.replace('127.0.0.1', 'localhost'), MessageBody: 'by localhost' }),
    );
    expect(queue.messages()).toEqual([expect.objectContaining({ body: 'by localhost' })]);
  });

  it('sends (MD5 verified by the SDK), receives, hides in flight and deletes', async () => {
    const body = JSON.stringify({ tracking_id: 'PKG-1', timestamp: 1, note: 'üñí' });
    const sent = await client.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(queue.messages()).toEqual([{ id: sent.MessageId, body, receiveCount: 0 }]);

    const first = await client.send(
      new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 30, MessageSystemAttributeNames: ['All'] }),
    );
    expect(first.Messages).toHaveLength(1);
    const [message] = first.Messages!;
    expect(message).toMatchObject({ Body: body, MessageId: sent.MessageId });
    expect(message.Attributes?.ApproximateReceiveCount).toBe('1');

    // In flight: invisible until its visibility timeout ends.
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(attrs.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    expect(queue.messages()).toEqual([{ id: sent.MessageId, body, receiveCount: 1 }]);

    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    expect(queue.messages()).toEqual([]);
  });

  it('makes a message visible again when its visibility timeout ends', async () => {
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'again' }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 1 }));
    expect(first.Messages).toHaveLength(1);
    const second = await client.send(
      new ReceiveMessageCommand({
        QueueUrl,
        WaitTimeSeconds: 3,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    expect(second.Messages?.[0]).toMatchObject({ Body: 'again', Attributes: { ApproximateReceiveCount: '2' } });
    expect(second.Messages?.[0].ReceiptHandle).not.toBe(first.Messages?.[0].ReceiptHandle);
  });

  it('receives at most MaxNumberOfMessages, oldest first, and counts what is visible', async () => {
    for (let i = 0; i < 10; i++) await client.send(new SendMessageCommand({ QueueUrl, MessageBody: `body-${i}` }));
    const attrs = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: '10' });

    const got = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 4 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['body-0', 'body-1', 'body-2', 'body-3']);
    for (const m of got.Messages!)
      await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    expect(queue.messages()).toHaveLength(6);
    await expect(client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
  });

  it('long-polls: WaitTimeSeconds returns as soon as a message arrives', async () => {
    const started = Date.now();
    const receiving = client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    setTimeout(() => void client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' })), 200);
    const { Messages } = await receiving;
    expect(Messages?.[0].Body).toBe('late');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an unknown queue, an empty body and a bad receipt handle as SQS does', async () => {
    await expect(
      client.send(
        new SendMessageCommand({ QueueUrl: QueueUrl.replace('tracking-dlq-dev', 'other'), MessageBody: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new SendMessageCommand({ QueueUrl, MessageBody: '' }))).rejects.toMatchObject({
      name: 'MissingParameter',
    });
    await expect(client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'nope' }))).rejects.toMatchObject({
      name: 'ReceiptHandleIsInvalid',
    });
  });

  it('answers an unknown operation with a clear error', async () => {
    await expect(client.send(new ListQueuesCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining('SendMessage, ReceiveMessage, DeleteMessage, GetQueueAttributes'),
    });
  });

  it('an sqs:* InternalError fault makes every call a 500 (recorded, nothing stored) until removed', async () => {
    const remove = faults.add('sqs:*=InternalError');
    try {
      await expect(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toMatchObject({
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
      await expect(
        client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] })),
      ).rejects.toMatchObject({
        $metadata: { httpStatusCode: 500 },
      });
    } finally {
      remove();
    }
    expect(queue.messages()).toEqual([]);
    expect(calls.calls.map((c) => `${c.service}:${c.operation}`)).toEqual([
      'sqs:SendMessage',
      'sqs:GetQueueAttributes',
    ]);
    await expect(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).resolves.toBeTruthy();
    expect(queue.messages()).toHaveLength(1);
  });
});
