/**
 * One client configuration for every AWS SDK client the function (and `npm run replay`) creates:
 * the SDK's standard retry strategy with few attempts, and short socket timeouts, so that a refused
 * DynamoDB write is known (and parked) within a few seconds, far inside the function's timeout.
 * No endpoint here: the SDK takes AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> from the environment.
 */
export const SDK_MAX_ATTEMPTS = 3;
const SDK_CONNECTION_TIMEOUT_MS = 1000;
const SDK_REQUEST_TIMEOUT_MS = 2000;

export function awsClientConfig() {
  return {
    retryMode: 'standard',
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: SDK_CONNECTION_TIMEOUT_MS,
      requestTimeout: SDK_REQUEST_TIMEOUT_MS,
      // Without this the handler only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  } as const;
}

/**
 * THE decision table for an AWS call that failed after the SDK's retries. Pure data and one pure
 * function, so every caller (the write path, both reads, `npm run replay`) decides the same way:
 *
 * - `transient`: the service, or the way there, is unhealthy for now. Throttling, any 5xx, timeouts,
 *   aborts (our own deadlines), network errors. A write is parked; a read answers 503.
 * - `configuration`: the stack is wrong, and stays wrong until an operator fixes it. The role may not
 *   do this (AccessDenied), the table or index does not exist (ResourceNotFound), the credentials are
 *   not valid (UnrecognizedClient), the request does not fit the table (ValidationException: a wrong
 *   key schema or index). A write is parked too (nothing is lost) and a read answers 503, but both
 *   are counted apart (METRICS.configurationError), which alarms at once.
 * - `bug`: anything else (a SerializationException, an error thrown before the request left, a
 *   TypeError): thrown on, so the handler answers 500 and counts UnhandledError.
 */
export type AwsErrorClass = 'transient' | 'configuration' | 'bug';

/** Error names (SDK v3 `error.name` is the service's error code) AWS throttles with. */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** Error names that mean the stack is misconfigured (a role, a name, credentials, a key schema). */
const CONFIGURATION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'ResourceNotFoundException',
  'UnrecognizedClientException',
  'ValidationException',
]);

/** Errors of the transport itself (the SDK's own timeout and abort errors, or an aborted signal). */
const TRANSPORT_ERROR_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'AbortError', 'RequestTimeout']);

const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Classifies an error an AWS SDK call threw (after its retries) with the table above. */
export function classifyAwsError(error: unknown): AwsErrorClass {
  if (!(error instanceof Error)) return 'bug';
  const details = error as Error & { $metadata?: { httpStatusCode?: unknown }; code?: unknown };
  if (THROTTLING_ERROR_NAMES.has(error.name)) return 'transient';
  if (CONFIGURATION_ERROR_NAMES.has(error.name)) return 'configuration';
  const status = details.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500 && status <= 599) return 'transient';
  if (TRANSPORT_ERROR_NAMES.has(error.name)) return 'transient';
  if (typeof details.code === 'string' && NETWORK_ERROR_CODES.has(details.code)) return 'transient';
  return 'bug';
}
