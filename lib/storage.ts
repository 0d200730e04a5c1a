/**
 * The tracking table, the `Idempotency-Key` records' table, and the three queues beside them: the one that parks updates DynamoDB refused
 * (only parked updates: `npm run replay` drains it), the API function's own dead-letter queue (failed
 * asynchronous invocations, whose messages are Lambda's, not parked updates: never on the parking
 * queue), and the one where the stream consumer's event source mapping sends the records it kept
 * failing on. Every queue has one shape (secureQueue, also the webhook's dead-letter queue in
 * lib/webhook.ts): encrypted, TLS-only, 14 days.
 */
import * as pulumi from '@pulumi/pulumi';
import * as dynamodb from '@pulumi/aws/dynamodb';
import * as sqs from '@pulumi/aws/sqs';
import { IDEMPOTENCY, TRACKING_TABLE } from '../lambda/contract';
import type { TapStackArgs } from './config';
import { resourceNames } from './names';
import type { Scope } from './scope';

/** SQS's maximum retention (14 days): what lands on these queues waits for an operator as long as SQS allows. */
const QUEUE_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** A reader (the replay worker, an operator) holds a message this long before SQS offers it again. */
const QUEUE_VISIBILITY_TIMEOUT_SECONDS = 300;

export interface Storage {
  table: dynamodb.Table;
  /** Powertools Idempotency's records (one per caller and key), removed by TTL after IDEMPOTENCY.ttlSeconds. */
  idempotencyTable: dynamodb.Table;
  /** Parked updates (DynamoDB refused them), and nothing else. */
  queue: sqs.Queue;
  queuePolicy: sqs.QueuePolicy;
  /**
   * The API function's dead-letter queue: its failed ASYNCHRONOUS invocations (Lambda's messages:
   * the event, with the error in message attributes). API Gateway invokes synchronously, so anything
   * here is unexpected.
   */
  functionDeadLetterQueue: sqs.Queue;
  functionDeadLetterQueuePolicy: sqs.QueuePolicy;
  /** The consumer mapping's on-failure destination: stream records retried to exhaustion. */
  streamFailureQueue: sqs.Queue;
  streamFailureQueuePolicy: sqs.QueuePolicy;
}

/**
 * What an AWS service may send to a queue: one action, from the service principal, only on behalf of
 * one resource of this stack (`aws:SourceArn`), so no other customer's resource can use the grant.
 */
export interface ServiceGrant {
  sid: string;
  /** The service principal, e.g. `events.amazonaws.com`. */
  service: string;
  action: string;
  /** The one resource the service acts for (an EventBridge rule's ARN). */
  sourceArn: pulumi.Input<string>;
}

/**
 * A queue the stack owns: SQS-managed encryption at rest, 14 days, and a policy refusing anything but
 * TLS, plus the service grants given (a dead-letter queue EventBridge delivers to).
 */
export function secureQueue(
  scope: Scope,
  part: string,
  name: string,
  grants: ServiceGrant[] = [],
): { queue: sqs.Queue; policy: sqs.QueuePolicy } {
  const parent = scope.parent;
  const queue = new sqs.Queue(
    scope.name(part),
    {
      name,
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      visibilityTimeoutSeconds: QUEUE_VISIBILITY_TIMEOUT_SECONDS,
      sqsManagedSseEnabled: true,
    },
    { parent },
  );
  // Encryption at rest is SSE; this makes encryption in transit mandatory too.
  const policy = new sqs.QueuePolicy(
    scope.name(`${part}-policy`),
    {
      queueUrl: queue.url,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: queue.arn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          ...grants.map((grant) => ({
            Sid: grant.sid,
            Effect: 'Allow',
            Principal: { Service: grant.service },
            Action: grant.action,
            Resource: queue.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': grant.sourceArn } },
          })),
        ],
      }),
    },
    { parent },
  );
  return { queue, policy };
}

export function createStorage(scope: Scope, args: TapStackArgs): Storage {
  const names = resourceNames(args.environmentSuffix);
  const index = TRACKING_TABLE.statusIndex;

  const table = new dynamodb.Table(
    scope.name('tracking-table'),
    {
      name: names.table,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: TRACKING_TABLE.hashKey,
      rangeKey: TRACKING_TABLE.rangeKey,
      attributes: TRACKING_TABLE.attributes.map((a) => ({ name: a.name, type: a.type })),
      // StatusIndex is sparse (only state records carry its keys) and keyed on status_shard =
      // `<status>#<n>`, not the bare status: four status values would make four hot index
      // partitions, and a GSI that cannot keep up throttles every base-table write carrying that
      // status. n = hash(tracking_id) mod statusShardCount; updated_key orders a shard newest first.
      globalSecondaryIndexes: [
        {
          name: index.name,
          keySchemas: [
            { attributeName: index.hashKey, keyType: 'HASH' },
            { attributeName: index.rangeKey, keyType: 'RANGE' },
          ],
          projectionType: index.projectionType,
        },
      ],
      // The stream feeds the projection consumer (lib/stream.ts).
      streamEnabled: true,
      streamViewType: TRACKING_TABLE.streamViewType,
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: args.tableDeletionProtection,
    },
    { parent: scope.parent },
  );

  // Held to the same rules as the tracking table (encryption, recovery, deletion protection): its
  // records are small and live a day, so this costs next to nothing.
  const idempotencyTable = new dynamodb.Table(
    scope.name('idempotency-table'),
    {
      name: names.idempotencyTable,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: IDEMPOTENCY.table.hashKey,
      attributes: [{ name: IDEMPOTENCY.table.hashKey, type: 'S' }],
      ttl: { attributeName: IDEMPOTENCY.table.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: args.tableDeletionProtection,
    },
    { parent: scope.parent },
  );

  const parked = secureQueue(scope, 'parked-updates-queue', names.queue);
  const functionDeadLetters = secureQueue(scope, 'function-dead-letter-queue', names.functionDeadLetterQueue);
  const streamFailures = secureQueue(scope, 'stream-failure-queue', names.streamFailureQueue);

  return {
    table,
    idempotencyTable,
    queue: parked.queue,
    queuePolicy: parked.policy,
    functionDeadLetterQueue: functionDeadLetters.queue,
    functionDeadLetterQueuePolicy: functionDeadLetters.policy,
    streamFailureQueue: streamFailures.queue,
    streamFailureQueuePolicy: streamFailures.policy,
  };
}
