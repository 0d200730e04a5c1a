/** The local SQS stand-in, driven by the real @aws-sdk/client-sqs (which verifies the MD5 digests). */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { md5OfMessageAttributes, startSqs, type LocalSqs } from '../../local/aws/sqs';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local SQS (awsJson1_0)', () => {
  let sqs: LocalSqs;
  let client: SQSClient;
  let QueueUrl: string;

  beforeAll(async () => {
    sqs = await startSqs('tracking-dlq-dev');
    QueueUrl = sqs.queueUrl;
    client = new SQSClient({ endpoint: sqs.endpoint, region: 'us-west-2', credentials, maxAttempts: 1 });
  });
  afterEach(() => sqs.purge());
  afterAll(async () => {
    client.destroy();
    await sqs.close();
  });

  it('names the queue like SQS and finds it by name', async () => {
    expect(QueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/123456789012\/tracking-dlq-dev$/);
    expect((await client.send(new GetQueueUrlCommand({ QueueName: 'tracking-dlq-dev' }))).QueueUrl).toBe(QueueUrl);
  });

  it('sends (MD5 verified by the SDK), receives, hides in flight and deletes', async () => {
    const body = JSON.stringify({ tracking_id: 'PKG-1', timestamp: 1, note: 'üñí' });
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'parked-update' } },
      }),
    );
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes({ kind: { DataType: 'String', StringValue: 'parked-update' } }));
    expect(sqs.messages()).toEqual([{ id: sent.MessageId, body }]);

    const first = await client.send(
      new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 30, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    expect(first.Messages).toHaveLength(1);
    const [message] = first.Messages!;
    expect(message).toMatchObject({ Body: body, MessageId: sent.MessageId, MessageAttributes: { kind: { StringValue: 'parked-update' } } });
    expect(message.Attributes?.ApproximateReceiveCount).toBe('1');

    // In flight: invisible until its visibility timeout ends.
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(attrs.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
    expect(sqs.messages()[0].receiptHandle).toBe(message.ReceiptHandle);

    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    expect(sqs.messages()).toEqual([]);
  });

  it('makes a message visible again when its visibility timeout ends', async () => {
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'again' }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 1 }));
    expect(first.Messages).toHaveLength(1);
    const second = await client.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(second.Messages?.[0]).toMatchObject({ Body: 'again', Attributes: { ApproximateReceiveCount: '2' } });
    expect(second.Messages?.[0].ReceiptHandle).not.toBe(first.Messages?.[0].ReceiptHandle);
  });

  it('ChangeMessageVisibility(0) releases a message at once', async () => {
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'release' }));
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 300 }));
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: Messages![0].ReceiptHandle, VisibilityTimeout: 0 }));
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl }))).Messages?.[0].Body).toBe('release');
  });

  it('batches: send 10, receive at most MaxNumberOfMessages, delete in a batch', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body-${i}` }));
    const sent = await client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
    expect(sent.Successful).toHaveLength(10);
    expect(sent.Failed ?? []).toEqual([]);
    const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: '10' });

    const got = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 4 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['body-0', 'body-1', 'body-2', 'body-3']);
    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [...got.Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })), { Id: 'bad', ReceiptHandle: 'nope' }],
      }),
    );
    expect(deleted.Successful).toHaveLength(4);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    expect(sqs.messages()).toHaveLength(6);
  });

  it('long-polls: WaitTimeSeconds returns as soon as a message arrives', async () => {
    const started = Date.now();
    const receiving = client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    setTimeout(() => void client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' })), 200);
    const { Messages } = await receiving;
    expect(Messages?.[0].Body).toBe('late');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an unknown queue, an empty body and an empty batch as SQS does', async () => {
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: QueueUrl.replace('tracking-dlq-dev', 'other'), MessageBody: 'x' })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new SendMessageCommand({ QueueUrl, MessageBody: '' }))).rejects.toMatchObject({ name: 'MissingParameter' });
    await expect(client.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] }))).rejects.toMatchObject({ name: 'EmptyBatchRequest' });
  });

  it('answers an unknown operation with a clear error', async () => {
    await expect(client.send(new ListQueuesCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining('SendMessage'),
    });
  });

  it('setFailing(true) makes every call a 500', async () => {
    sqs.setFailing(true);
    try {
      await expect(client.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 500 },
      });
    } finally {
      sqs.setFailing(false);
    }
    expect(sqs.messages()).toEqual([]);
  });
});
