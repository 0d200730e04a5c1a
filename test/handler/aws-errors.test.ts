/**
 * The decision table for a failed AWS call (lambda/aws-clients.ts): transient (park / 503),
 * configuration (park / 503, counted as ConfigurationError), or a bug (thrown: 500).
 */
import { classifyAwsError, type AwsErrorClass } from '../../lambda/aws-clients';

/** An error as the SDK v3 throws it: `name` is the service's error code, `$metadata` the HTTP answer. */
function serviceError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(`${name} (test)`), { name, $metadata: { httpStatusCode } });
}
function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}
function named(name: string): Error {
  return Object.assign(new Error(name), { name });
}

const TABLE: [string, unknown, AwsErrorClass][] = [
  // Throttling, whatever status it came with.
  ['ProvisionedThroughputExceededException', serviceError('ProvisionedThroughputExceededException', 400), 'transient'],
  ['ThrottlingException', serviceError('ThrottlingException', 400), 'transient'],
  ['RequestLimitExceeded', serviceError('RequestLimitExceeded', 400), 'transient'],
  // Any 5xx.
  ['InternalServerError (500)', serviceError('InternalServerError', 500), 'transient'],
  ['ServiceUnavailable (503)', serviceError('ServiceUnavailable', 503), 'transient'],
  ['an unknown code with a 502', serviceError('SomethingNew', 502), 'transient'],
  // Timeouts, aborts, the network.
  ['TimeoutError', named('TimeoutError'), 'transient'],
  ['AbortError (a deadline)', named('AbortError'), 'transient'],
  ['RequestTimeout', named('RequestTimeout'), 'transient'],
  ['ECONNREFUSED', networkError('ECONNREFUSED'), 'transient'],
  ['ECONNRESET', networkError('ECONNRESET'), 'transient'],
  ['ETIMEDOUT', networkError('ETIMEDOUT'), 'transient'],
  ['ENOTFOUND', networkError('ENOTFOUND'), 'transient'],
  ['EAI_AGAIN', networkError('EAI_AGAIN'), 'transient'],
  // A misconfigured stack: no access, no such table, bad credentials, a key schema that does not fit.
  ['AccessDeniedException', serviceError('AccessDeniedException', 400), 'configuration'],
  ['ResourceNotFoundException', serviceError('ResourceNotFoundException', 400), 'configuration'],
  ['UnrecognizedClientException', serviceError('UnrecognizedClientException', 400), 'configuration'],
  ['ValidationException', serviceError('ValidationException', 400), 'configuration'],
  // Everything else is a bug: thrown, answered 500.
  ['SerializationException', serviceError('SerializationException', 400), 'bug'],
  ['ConditionalCheckFailedException', serviceError('ConditionalCheckFailedException', 400), 'bug'],
  ['an unknown 4xx code', serviceError('SomethingNew', 400), 'bug'],
  ['a TypeError', new TypeError('cannot read properties of undefined'), 'bug'],
  ['an Error with an unknown code', networkError('ESOMETHING'), 'bug'],
  ['a plain Error', new Error('boom'), 'bug'],
  ['a string', 'ProvisionedThroughputExceededException', 'bug'],
  ['undefined', undefined, 'bug'],
  ['null', null, 'bug'],
];

describe('classifyAwsError', () => {
  it.each(TABLE)('%s -> %s', (_what, error, expected) => {
    expect(classifyAwsError(error)).toBe(expected);
  });

  it('decides on the code before the status: a throttling 400 is transient, a configuration 500 is configuration', () => {
    expect(classifyAwsError(serviceError('ThrottlingException', 400))).toBe('transient');
    expect(classifyAwsError(serviceError('AccessDeniedException', 500))).toBe('configuration');
  });
});
