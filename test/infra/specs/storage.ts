/** The tracking table, its StatusIndex and stream, the idempotency table, and the three queues with their TLS-only policies. */
import { IDEMPOTENCY, TRACKING_TABLE } from '../../../lambda/contract';
import { TYPES, inputs, ofType } from '../helpers';
import type { Synths } from './synths';

const REGION_ACCOUNT = 'us-west-2:123456789012';
const QUEUES = [
  { what: 'parked-updates queue', logical: 'tap-parked-updates-queue', name: 'tracking-parked-updates-dev' },
  {
    what: "API function's dead-letter queue",
    logical: 'tap-function-dead-letter-queue',
    name: 'tracking-api-dlq-dev',
  },
  { what: 'stream failure queue', logical: 'tap-stream-failure-queue', name: 'tracking-projection-failures-dev' },
];

export function storageSpec(s: Synths): void {
  describe('tracking table', () => {
    it('is on-demand, keyed tracking_id (S) / timestamp (N), declaring the StatusIndex keys', () => {
      const table = inputs(s.dev, TYPES.table, 'tap-tracking-table');
      expect(table.name).toBe('tracking-updates-dev');
      expect(table.billingMode).toBe('PAY_PER_REQUEST');
      expect(table.hashKey).toBe('tracking_id');
      expect(table.rangeKey).toBe('timestamp');
      expect(table.attributes).toEqual([
        { name: 'tracking_id', type: 'S' },
        { name: 'timestamp', type: 'N' },
        { name: 'status_shard', type: 'S' },
        { name: 'updated_key', type: 'S' },
      ]);
    });

    it('has StatusIndex on the write-sharded status_shard and the event-time updated_key, projecting everything', () => {
      expect(inputs(s.dev, TYPES.table, 'tap-tracking-table').globalSecondaryIndexes).toEqual([
        {
          name: 'StatusIndex',
          keySchemas: [
            { attributeName: 'status_shard', keyType: 'HASH' },
            { attributeName: 'updated_key', keyType: 'RANGE' },
          ],
          projectionType: 'ALL',
        },
      ]);
    });

    it('is the table the contract describes (the one the local API creates)', () => {
      const table = inputs(s.dev, TYPES.table, 'tap-tracking-table');
      const index = TRACKING_TABLE.statusIndex;
      expect(table.attributes).toEqual(TRACKING_TABLE.attributes);
      expect(table.globalSecondaryIndexes).toEqual([
        {
          name: index.name,
          keySchemas: [
            { attributeName: index.hashKey, keyType: 'HASH' },
            { attributeName: index.rangeKey, keyType: 'RANGE' },
          ],
          projectionType: index.projectionType,
        },
      ]);
      expect(table.streamViewType).toBe(TRACKING_TABLE.streamViewType);
      // Every key attribute is declared, and nothing else (DynamoDB refuses unused attribute definitions).
      const keys = [TRACKING_TABLE.hashKey, TRACKING_TABLE.rangeKey, index.hashKey, index.rangeKey];
      expect(table.attributes.map((a: { name: string }) => a.name).sort()).toEqual([...keys].sort());
    });

    it('streams new and old images, with point-in-time recovery and encryption at rest', () => {
      const table = inputs(s.dev, TYPES.table, 'tap-tracking-table');
      expect(table.streamEnabled).toBe(true);
      expect(table.streamViewType).toBe('NEW_AND_OLD_IMAGES');
      expect(table.pointInTimeRecovery).toEqual({ enabled: true });
      expect(table.serverSideEncryption).toEqual({ enabled: true });
    });

    it('takes deletion protection from config', () => {
      expect(inputs(s.dev, TYPES.table, 'tap-tracking-table').deletionProtectionEnabled).toBe(false);
      expect(inputs(s.variant, TYPES.table, 'tap-tracking-table').deletionProtectionEnabled).toBe(true);
    });
  });

  describe('idempotency table', () => {
    it("is on-demand, keyed on Powertools' string id, its records expired by TTL on the contract's attribute", () => {
      const table = inputs(s.dev, TYPES.table, 'tap-idempotency-table');
      expect(table.name).toBe('tracking-idempotency-dev');
      expect(table.billingMode).toBe('PAY_PER_REQUEST');
      expect(table.hashKey).toBe(IDEMPOTENCY.table.hashKey);
      expect(table.rangeKey).toBeUndefined();
      expect(table.attributes).toEqual([{ name: IDEMPOTENCY.table.hashKey, type: 'S' }]);
      expect(table.ttl).toEqual({ attributeName: IDEMPOTENCY.table.ttlAttribute, enabled: true });
      expect(table.globalSecondaryIndexes).toBeUndefined();
      expect(table.streamEnabled).toBeUndefined();
    });

    it('is encrypted and recoverable like the tracking table, with the same deletion protection', () => {
      const table = inputs(s.dev, TYPES.table, 'tap-idempotency-table');
      expect(table.pointInTimeRecovery).toEqual({ enabled: true });
      expect(table.serverSideEncryption).toEqual({ enabled: true });
      expect(table.deletionProtectionEnabled).toBe(false);
      expect(inputs(s.variant, TYPES.table, 'tap-idempotency-table').deletionProtectionEnabled).toBe(true);
    });
  });

  it('has exactly three queues, each with exactly one policy', () => {
    expect(ofType(s.dev, TYPES.queue).map((q) => q.name)).toEqual(QUEUES.map((q) => q.logical).sort());
    expect(ofType(s.dev, TYPES.queuePolicy).map((p) => p.name)).toEqual(
      QUEUES.map((q) => `${q.logical}-policy`).sort(),
    );
  });

  describe.each(QUEUES)('$what', ({ logical, name }) => {
    it('keeps messages 14 days, hides them 300 s per receive, encrypts with SQS-managed keys', () => {
      const queue = inputs(s.dev, TYPES.queue, logical);
      expect(queue.name).toBe(name);
      expect(queue.messageRetentionSeconds).toBe(14 * 24 * 3600);
      expect(queue.visibilityTimeoutSeconds).toBe(300);
      expect(queue.sqsManagedSseEnabled).toBe(true);
      expect(queue.kmsMasterKeyId).toBeUndefined();
    });

    it('has a policy, on this queue, that denies every request not made over TLS', () => {
      const policy = inputs(s.dev, TYPES.queuePolicy, `${logical}-policy`);
      expect(policy.queueUrl).toBe(`https://sqs.us-west-2.amazonaws.com/123456789012/${name}`);
      expect(JSON.parse(policy.policy)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: `arn:aws:sqs:${REGION_ACCOUNT}:${name}`,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      });
    });
  });
}
