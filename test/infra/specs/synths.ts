/** The synths the stack specs read (filled by stack.test.ts before any spec runs). */
import type { SynthResult } from '../../../scripts/synth';

export interface Synths {
  dev: SynthResult;
  pr7: SynthResult;
  variant: SynthResult;
  /** Two TapStacks (`east`, `west`) in one program. */
  twoStacks: SynthResult;
}

export const VARIANT_ENV = { ENVIRONMENT_SUFFIX: 'qa1' };

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
};
