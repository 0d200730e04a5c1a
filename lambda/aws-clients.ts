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

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * True when an AWS call failed on the service's side or on the way there (throttling, 5xx, access,
 * timeouts, aborts, network) after the SDK's retries; false for errors that are not a service
 * refusal (a bug in the request, a ValidationException, anything thrown before the request left).
 */
export function isServiceUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ValidationException' || error.name === 'SerializationException') return false;
  const details = error as Error & { $metadata?: unknown; code?: unknown };
  return (
    details.$metadata !== undefined ||
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    (typeof details.code === 'string' && NETWORK_ERROR_CODES.has(details.code))
  );
}
