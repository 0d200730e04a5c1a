/**
 * An in-memory SQS queue behind SQSClient.prototype.send, for the parking and replay tests: it keeps
 * the semantics those paths rely on (messages stay until deleted, a received message is hidden until
 * it is deleted or "redelivered"), and can fail sends or deletes on demand.
 */
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { createHash, randomUUID } from 'crypto';

interface StoredMessage {
  id: string;
  body: string;
  receipt?: string;
  receiveCount: number;
}

export class FakeQueue {
  readonly messages: StoredMessage[] = [];
  failSends = false;
  failDeletes = false;
  readonly calls: string[] = [];

  /** Routes every SQSClient's send to this queue until jest's mocks are restored. */
  install(): this {
    jest.spyOn(SQSClient.prototype, 'send').mockImplementation(async (command: unknown) => this.handle(command));
    return this;
  }

  /** Bodies of the messages on the queue (received or not). */
  bodies(): string[] {
    return this.messages.map((m) => m.body);
  }

  /** Makes every received-but-undeleted message visible again (its visibility timeout ran out). */
  redeliver(): void {
    for (const message of this.messages) message.receipt = undefined;
  }

  /** Puts a message on the queue as a producer would. */
  push(body: string): void {
    this.messages.push({ id: randomUUID(), body, receiveCount: 0 });
  }

  private unavailable(): Error {
    return Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503, attempts: 3 } });
  }

  private async handle(command: unknown): Promise<unknown> {
    if (command instanceof SendMessageCommand) {
      this.calls.push('SendMessage');
      if (this.failSends) throw this.unavailable();
      const body = command.input.MessageBody ?? '';
      const id = randomUUID();
      this.messages.push({ id, body, receiveCount: 0 });
      return { MessageId: id, MD5OfMessageBody: createHash('md5').update(body).digest('hex'), $metadata: {} };
    }
    if (command instanceof ReceiveMessageCommand) {
      this.calls.push('ReceiveMessage');
      const max = command.input.MaxNumberOfMessages ?? 1;
      const visible = this.messages.filter((m) => m.receipt === undefined).slice(0, max);
      for (const message of visible) {
        message.receipt = randomUUID();
        message.receiveCount += 1;
      }
      return { Messages: visible.map((m) => ({ MessageId: m.id, ReceiptHandle: m.receipt, Body: m.body })), $metadata: {} };
    }
    if (command instanceof DeleteMessageCommand) {
      this.calls.push('DeleteMessage');
      if (this.failDeletes) throw this.unavailable();
      const index = this.messages.findIndex((m) => m.receipt !== undefined && m.receipt === command.input.ReceiptHandle);
      if (index >= 0) this.messages.splice(index, 1);
      return { $metadata: {} };
    }
    if (command instanceof GetQueueAttributesCommand) {
      this.calls.push('GetQueueAttributes');
      const visible = this.messages.filter((m) => m.receipt === undefined).length;
      return { Attributes: { ApproximateNumberOfMessages: String(visible) }, $metadata: {} };
    }
    throw new Error(`FakeQueue: unsupported SQS call ${(command as object).constructor.name}`);
  }
}
