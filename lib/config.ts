/**
 * Stack settings: the typed, validated TapStackArgs, resource naming and tags.
 *
 * Pure (no Pulumi import): the Pulumi program feeds it from `pulumi.Config`, the offline synth and
 * the local API feed it from Pulumi.yaml + Pulumi.<stack>.yaml. Same keys, same defaults, same checks.
 */
import { DEFAULT_API_CONFIG, TRACKING_TABLE, type ApiConfig, type FeatureFlags } from '../lambda/contract';

export const PROJECT_NAME = 'tap';

export interface TapStackArgs {
  environmentSuffix: string;
  /** User tags; the stack tags (Project, Environment, ManagedBy) are added by `stackTags`. */
  tags: Record<string, string>;
  /**
   * Where a deployment comes from, from the REPOSITORY and COMMIT_AUTHOR environment variables (CI
   * sets them): `Repository` and `Author`, each only when its variable is set and not empty.
   */
  provenanceTags: Record<string, string>;
  apiRateLimit: number;
  apiBurstLimit: number;
  maxRequestSize: number;
  lambdaMemory: number;
  lambdaTimeout: number;
  /** -1: no reservation. */
  lambdaReservedConcurrency: number;
  /** The stream consumer's; -1: no reservation. */
  consumerReservedConcurrency: number;
  logRetentionDays: number;
  alarmEmail?: string;
  statusShardCount: number;
  /** The oldest `event_time` accepted, in days (SSM config max_event_age_days). */
  maxEventAgeDays: number;
  /** The stream consumer's event source mapping. */
  stream: { batchSize: number; batchWindowSeconds: number; maxRetries: number; maxRecordAgeSeconds: number };
  tableDeletionProtection: boolean;
  featureFlags: FeatureFlags;
  /**
   * Deliver status-change events to an HTTPS endpoint (EventBridge API destination), when a URL is
   * configured. The secret it authenticates with is a Pulumi secret, read by index.ts
   * (`tap:webhookSecret`), never part of these plain settings.
   */
  webhook?: { url: string; authHeaderName: string };
  manageApiGatewayAccount: boolean;
}

/** Reads one project config key (without the `tap:` prefix); undefined when unset. */
export type ConfigReader = (key: string) => unknown;

/** API Gateway's REST integration timeout; the function must finish before it. */
export const API_GATEWAY_TIMEOUT_SECONDS = 29;

/** Retention values CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const SUFFIX_PATTERN = /^[a-z0-9][a-z0-9-]{0,19}$/;

export class ConfigError extends Error {}

function integer(read: ConfigReader, key: string, fallback: number, min: number, max: number): number {
  const raw = read(key);
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`config tap:${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function boolean(read: ConfigReader, key: string, fallback: boolean): boolean {
  const raw = read(key);
  if (raw === undefined || raw === '') return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new ConfigError(`config tap:${key} must be true or false, got ${JSON.stringify(raw)}`);
}

function parseTags(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === '') return {};
  const list = typeof raw === 'string' ? JSON.parse(raw) : raw;
  if (!Array.isArray(list)) throw new ConfigError('config tap:tags must be a list of "Key=Value" strings');
  const tags: Record<string, string> = {};
  for (const entry of list) {
    const match = typeof entry === 'string' ? /^([^=]{1,128})=(.{0,256})$/.exec(entry) : null;
    if (!match) throw new ConfigError(`config tap:tags: ${JSON.stringify(entry)} is not a "Key=Value" string`);
    tags[match[1]] = match[2];
  }
  return tags;
}

/** The provenance tags and the environment variables they come from. */
const PROVENANCE_TAG_ENV = { Repository: 'REPOSITORY', Author: 'COMMIT_AUTHOR' } as const;

/** What AWS accepts as a tag value (the common set across services): at most 256 characters, not `aws:`. */
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const TAG_VALUE_MAX_LENGTH = 256;

function provenanceTags(env: NodeJS.ProcessEnv): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [tag, variable] of Object.entries(PROVENANCE_TAG_ENV)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if ([...value].length > TAG_VALUE_MAX_LENGTH) {
      throw new ConfigError(
        `environment variable ${variable} must be at most ${TAG_VALUE_MAX_LENGTH} characters (it becomes the ${tag} tag), got ${[...value].length}`,
      );
    }
    if (!TAG_VALUE_PATTERN.test(value) || /^aws:/i.test(value)) {
      throw new ConfigError(
        `environment variable ${variable} ${JSON.stringify(value)} is not a valid AWS tag value for ${tag} (letters, digits, spaces and _ . : / = + - @; not starting with aws:)`,
      );
    }
    tags[tag] = value;
  }
  return tags;
}

/**
 * Builds validated stack settings. The ENVIRONMENT_SUFFIX environment variable wins over config,
 * then `dev`; REPOSITORY and COMMIT_AUTHOR give the provenance tags. Bad values throw a ConfigError
 * naming the key (or the variable), before any resource is declared.
 */
export function resolveStackArgs(read: ConfigReader, env: NodeJS.ProcessEnv = process.env): TapStackArgs {
  const suffix = env.ENVIRONMENT_SUFFIX || (read('environmentSuffix') as string | undefined) || 'dev';
  if (!SUFFIX_PATTERN.test(suffix)) {
    throw new ConfigError(
      `environment suffix ${JSON.stringify(suffix)} must be 1-20 lowercase letters, digits or hyphens, starting with a letter or digit`,
    );
  }
  const lambdaTimeout = integer(read, 'lambdaTimeout', 10, 1, API_GATEWAY_TIMEOUT_SECONDS - 1);
  const logRetentionDays = integer(read, 'logRetentionDays', 14, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new ConfigError(`config tap:logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  const alarmEmail = ((read('alarmEmail') as string | undefined) ?? '').trim();
  if (alarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new ConfigError(`config tap:alarmEmail ${JSON.stringify(alarmEmail)} is not an e-mail address`);
  }
  const apiRateLimit = integer(read, 'apiRateLimit', DEFAULT_API_CONFIG.rate_limit, 1, 10000);
  const webhookUrl = String(read('webhookUrl') ?? '').trim();
  if (webhookUrl && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(webhookUrl)) {
    throw new ConfigError(
      `config tap:webhookUrl ${JSON.stringify(webhookUrl)} is not an https:// URL (API destinations call HTTPS only)`,
    );
  }
  const authHeaderName = String(read('webhookAuthHeader') ?? '').trim() || 'X-Webhook-Secret';
  if (!/^[A-Za-z0-9-]{1,128}$/.test(authHeaderName)) {
    throw new ConfigError(`config tap:webhookAuthHeader ${JSON.stringify(authHeaderName)} is not an HTTP header name`);
  }
  return {
    environmentSuffix: suffix,
    tags: parseTags(read('tags')),
    provenanceTags: provenanceTags(env),
    apiRateLimit,
    apiBurstLimit: integer(read, 'apiBurstLimit', apiRateLimit * 2, 1, 5000),
    maxRequestSize: integer(read, 'maxRequestSize', DEFAULT_API_CONFIG.max_request_size, 256, 400 * 1024),
    lambdaMemory: integer(read, 'lambdaMemory', 512, 128, 10240),
    lambdaTimeout,
    lambdaReservedConcurrency: integer(read, 'lambdaReservedConcurrency', -1, -1, 10000),
    consumerReservedConcurrency: integer(read, 'consumerReservedConcurrency', -1, -1, 10000),
    logRetentionDays,
    alarmEmail: alarmEmail || undefined,
    statusShardCount: integer(read, 'statusShardCount', TRACKING_TABLE.defaultStatusShardCount, 1, 100),
    maxEventAgeDays: integer(read, 'maxEventAgeDays', DEFAULT_API_CONFIG.max_event_age_days, 1, 3650),
    // Lambda's limits for DynamoDB stream mappings.
    stream: {
      batchSize: integer(read, 'streamBatchSize', 100, 1, 10000),
      batchWindowSeconds: integer(read, 'streamBatchWindowSeconds', 0, 0, 300),
      maxRetries: integer(read, 'streamMaxRetries', 5, 0, 10000),
      maxRecordAgeSeconds: integer(read, 'streamMaxRecordAgeSeconds', 86400, 60, 604800),
    },
    tableDeletionProtection: boolean(read, 'tableDeletionProtection', true),
    featureFlags: {
      enhanced_tracking: boolean(read, 'enhancedTracking', true),
      batch_processing: boolean(read, 'batchProcessing', true),
      real_time_notifications: boolean(read, 'realTimeNotifications', false),
    },
    manageApiGatewayAccount: boolean(read, 'manageApiGatewayAccount', false),
    webhook: webhookUrl ? { url: webhookUrl, authHeaderName } : undefined,
  };
}

/**
 * Tags on every taggable resource: the user's, then the provenance tags (Repository, Author, when
 * set), then the stack's; neither of the last two can be overridden by user tags.
 */
export function stackTags(args: TapStackArgs): Record<string, string> {
  return {
    ...args.tags,
    ...args.provenanceTags,
    Project: PROJECT_NAME,
    Environment: args.environmentSuffix,
    ManagedBy: 'pulumi',
  };
}

/** The JSON kept in the `/logistics/api/<env>/config` parameter. */
export function apiConfigValue(args: TapStackArgs): ApiConfig {
  return {
    max_request_size: args.maxRequestSize,
    timeout: args.lambdaTimeout,
    rate_limit: args.apiRateLimit,
    max_event_age_days: args.maxEventAgeDays,
  };
}
