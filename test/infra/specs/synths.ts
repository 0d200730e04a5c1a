/** The synths the stack specs read (filled by stack.test.ts before any spec runs). */
import type { SynthResult } from '../../../scripts/synth';

export interface Synths {
  dev: SynthResult;
  pr7: SynthResult;
  variant: SynthResult;
  /** Two TapStacks (`east`, `west`) in one program. */
  twoStacks: SynthResult;
  /** The dev stack with a webhook (WEBHOOK_CONFIG). */
  webhook: SynthResult;
  /** The dev stack deployed from CI: REPOSITORY and COMMIT_AUTHOR set (PROVENANCE_ENV). */
  provenance: SynthResult;
}

/**
 * A webhook on the dev stack. The secret is given as plain config here: in a synth Pulumi reads
 * any config value with requireSecret and returns it as a secret Output, as for an encrypted one.
 */
export const WEBHOOK_SECRET = 'wh-secret-0123456789';
export const WEBHOOK_CONFIG = {
  'tap:webhookUrl': 'https://hooks.example.com/logistics/status',
  'tap:webhookSecret': WEBHOOK_SECRET,
};

export const VARIANT_ENV = { ENVIRONMENT_SUFFIX: 'qa1' };

/** What the deploy workflow sets (github.repository, github.actor). */
export const PROVENANCE_ENV = { REPOSITORY: 'acme/tap', COMMIT_AUTHOR: 'dev' };

/** Every setting off its dev value (Pulumi.dev.yaml: region us-west-2, retention 7, protection off, account on). */
export const VARIANT_CONFIG = {
  'aws:region': 'eu-central-1',
  'tap:tags': ['CostCenter=42'],
  'tap:apiRateLimit': 50,
  'tap:apiBurstLimit': 75,
  'tap:maxRequestSize': 2048,
  'tap:lambdaMemory': 1024,
  'tap:lambdaTimeout': 20,
  'tap:lambdaReservedConcurrency': 5,
  'tap:logRetentionDays': 30,
  'tap:alarmEmail': 'oncall@example.com',
  'tap:statusShardCount': 16,
  'tap:maxEventAgeDays': 7,
  'tap:streamBatchSize': 250,
  'tap:streamBatchWindowSeconds': 5,
  'tap:streamMaxRetries': 2,
  'tap:streamMaxRecordAgeSeconds': 3600,
  'tap:tableDeletionProtection': true,
  'tap:enhancedTracking': false,
  'tap:batchProcessing': false,
  'tap:realTimeNotifications': true,
  'tap:manageApiGatewayAccount': false,
  'tap:webhookUrl': 'https://partner.example.org/hooks/shipments',
  'tap:webhookAuthHeader': 'X-Partner-Key',
  'tap:webhookSecret': 'variant-secret',
};
