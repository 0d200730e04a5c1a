/** The tracking table, the parked-updates queue and its TLS-only policy. */
import { TRACKING_TABLE } from '../../../lambda/contract';
import { TYPES, inputs } from '../helpers';
import type { Synths } from './synths';

export function storageSpec(s: Synths): void {
  describe('tracking table', () => {
    it('is on-demand, keyed tracking_id (S) / timestamp (N)', () => {
      const table = inputs(s.dev, TYPES.table);
      expect(table.name).toBe('tracking-updates-dev');
      expect(table.billingMode).toBe('PAY_PER_REQUEST');
      expect(table.hashKey).toBe('tracking_id');
      expect(table.rangeKey).toBe('timestamp');
      expect(table.attributes).toEqual([
        { name: 'tracking_id', type: 'S' },
        { name: 'timestamp', type: 'N' },
        { name: 'status_shard', type: 'S' },
      ]);
    });

    it('has StatusIndex on the write-sharded status_shard and timestamp, projecting everything', () => {
      expect(inputs(s.dev, TYPES.table).globalSecondaryIndexes).toEqual([
        {
          name: 'StatusIndex',
          keySchemas: [
            { attributeName: 'status_shard', keyType: 'HASH' },
            { attributeName: 'timestamp', keyType: 'RANGE' },
          ],
          projectionType: 'ALL',
        },
      ]);
    });

    it('is the table the contract describes (the one the local API creates)', () => {
      const table = inputs(s.dev, TYPES.table);
      expect(table.attributes).toEqual(TRACKING_TABLE.attributes);
      expect(table.globalSecondaryIndexes[0].name).toBe(TRACKING_TABLE.statusIndex.name);
      expect(table.streamViewType).toBe(TRACKING_TABLE.streamViewType);
    });

    it('streams new and old images, with point-in-time recovery and encryption at rest', () => {
      const table = inputs(s.dev, TYPES.table);
      expect(table.streamEnabled).toBe(true);
      expect(table.streamViewType).toBe('NEW_AND_OLD_IMAGES');
      expect(table.pointInTimeRecovery).toEqual({ enabled: true });
      expect(table.serverSideEncryption).toEqual({ enabled: true });
    });

    it('takes deletion protection from config', () => {
      expect(inputs(s.dev, TYPES.table).deletionProtectionEnabled).toBe(false);
      expect(inputs(s.variant, TYPES.table).deletionProtectionEnabled).toBe(true);
    });
  });

  describe('parked-updates queue', () => {
    it('keeps messages 14 days, hides them 300 s per receive, encrypts with SQS-managed keys', () => {
      const queue = inputs(s.dev, TYPES.queue);
      expect(queue.name).toBe('tracking-parked-updates-dev');
      expect(queue.messageRetentionSeconds).toBe(14 * 24 * 3600);
      expect(queue.visibilityTimeoutSeconds).toBe(300);
      expect(queue.sqsManagedSseEnabled).toBe(true);
    });

    it('has a policy, on this queue, that denies every request not made over TLS', () => {
      const policy = inputs(s.dev, TYPES.queuePolicy);
      expect(policy.queueUrl).toBe('https://sqs.us-west-2.amazonaws.com/123456789012/tracking-parked-updates-dev');
      expect(JSON.parse(policy.policy)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: 'arn:aws:sqs:us-west-2:123456789012:tracking-parked-updates-dev',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      });
    });
  });
}
