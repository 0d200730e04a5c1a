/**
 * The runtime configuration and feature flags, from SSM through Powertools Parameters (the caller
 * passes the reader: cached for 300 s, JSON-transformed). SSM trouble is never an error for the API:
 * a parameter that cannot be read or is malformed is replaced by its last known good value, else by
 * the documented defaults (DEFAULT_API_CONFIG / DEFAULT_FEATURE_FLAGS), and reported once per failed
 * attempt through `onFallback` (the handler logs it and counts METRICS.configFallback). After a
 * failure SSM is left alone for FAILURE_BACKOFF_MS, so an outage does not slow every request.
 *
 * A parameter value is checked once per fetched value, not per request: Powertools returns the same
 * cached object until it expires, and the checked result is kept for that object.
 */
import { DEFAULT_API_CONFIG, DEFAULT_FEATURE_FLAGS, LIMITS, type ApiConfig, type FeatureFlags } from './contract';
import { isPlainObject } from './plain-object';

export const PARAMETER_MAX_AGE_SECONDS = 300;
const FAILURE_BACKOFF_MS = 30_000;

export interface Settings {
  config: ApiConfig;
  flags: FeatureFlags;
}

export type ParameterReader = (name: string) => Promise<unknown>;

export interface FallbackEvent {
  parameter: string;
  /** What is served instead. */
  using: 'last-known' | 'defaults';
  error: unknown;
}

class InvalidParameterError extends Error {}

/** Missing fields take the documented default; a field of the wrong type or range invalidates the value. */
export function parseApiConfig(raw: unknown): ApiConfig {
  if (!isPlainObject(raw)) throw new InvalidParameterError('config is not a JSON object');
  const field = (key: keyof ApiConfig, ok: (n: number) => boolean): number => {
    const value = raw[key];
    if (value === undefined) return DEFAULT_API_CONFIG[key];
    if (typeof value !== 'number' || !ok(value))
      throw new InvalidParameterError(`config.${key} is invalid: ${JSON.stringify(value)}`);
    return value;
  };
  return {
    max_request_size: field(
      'max_request_size',
      (n) => Number.isInteger(n) && n >= 1 && n <= LIMITS.gatewayPayloadMaxBytes,
    ),
    timeout: field('timeout', (n) => n > 0 && n <= 900),
    rate_limit: field('rate_limit', (n) => n >= 0),
    max_event_age_days: field('max_event_age_days', (n) => Number.isInteger(n) && n >= 1),
  };
}

export function parseFeatureFlags(raw: unknown): FeatureFlags {
  if (!isPlainObject(raw)) throw new InvalidParameterError('flags is not a JSON object');
  const flag = (key: keyof FeatureFlags): boolean => {
    const value = raw[key];
    if (value === undefined) return DEFAULT_FEATURE_FLAGS[key];
    if (typeof value !== 'boolean')
      throw new InvalidParameterError(`flags.${key} is not a boolean: ${JSON.stringify(value)}`);
    return value;
  };
  return {
    enhanced_tracking: flag('enhanced_tracking'),
    batch_processing: flag('batch_processing'),
    real_time_notifications: flag('real_time_notifications'),
  };
}

class ParameterSlot<T> {
  private lastGood?: T;
  private lastRaw?: unknown;
  private rejectedRaw?: unknown;
  private retryAt = 0;

  constructor(
    private readonly name: string | undefined,
    private readonly defaults: T,
    private readonly parse: (raw: unknown) => T,
    private readonly read: ParameterReader,
    private readonly onFallback: (event: FallbackEvent) => void,
  ) {}

  private fallback(error: unknown): T {
    this.onFallback({ parameter: this.name ?? '(unnamed)', using: this.lastGood ? 'last-known' : 'defaults', error });
    return this.lastGood ?? this.defaults;
  }

  async value(): Promise<T> {
    if (!this.name) return this.defaults;
    if (Date.now() < this.retryAt) return this.lastGood ?? this.defaults;
    let raw: unknown;
    try {
      raw = await this.read(this.name);
    } catch (error) {
      this.retryAt = Date.now() + FAILURE_BACKOFF_MS;
      return this.fallback(error);
    }
    if (raw === this.lastRaw && this.lastGood) return this.lastGood;
    // The same malformed value stays cached by Powertools until it expires: reported once.
    if (raw === this.rejectedRaw) return this.lastGood ?? this.defaults;
    try {
      const parsed = this.parse(raw);
      this.lastRaw = raw;
      this.lastGood = parsed;
      this.rejectedRaw = undefined;
      return parsed;
    } catch (error) {
      this.rejectedRaw = raw;
      return this.fallback(error);
    }
  }
}

export class RuntimeSettings {
  private readonly config: ParameterSlot<ApiConfig>;
  private readonly flags: ParameterSlot<FeatureFlags>;

  constructor(options: {
    configParameter?: string;
    flagsParameter?: string;
    read: ParameterReader;
    onFallback: (event: FallbackEvent) => void;
  }) {
    this.config = new ParameterSlot(
      options.configParameter,
      DEFAULT_API_CONFIG,
      parseApiConfig,
      options.read,
      options.onFallback,
    );
    this.flags = new ParameterSlot(
      options.flagsParameter,
      DEFAULT_FEATURE_FLAGS,
      parseFeatureFlags,
      options.read,
      options.onFallback,
    );
  }

  async current(): Promise<Settings> {
    const [config, flags] = await Promise.all([this.config.value(), this.flags.value()]);
    return { config, flags };
  }
}
