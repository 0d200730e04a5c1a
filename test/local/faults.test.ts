/**
 * Fault injection and the call record (local/aws/faults.ts): the spec syntax, the injector's
 * semantics, and what the real AWS SDK clients see from the local services when a fault is on.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { performance } from 'perf_hooks';
import { awsClientConfig, SDK_MAX_ATTEMPTS } from '../../lambda/aws-clients';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { CallLog, ERROR_STATUS, FaultInjector, FaultSpecError, parseFault, type Fault } from '../../local/aws/faults';

const FORMAT = 'service:Operation=ErrorCode[@rate][#count][+ms]';
const CODES = Object.keys(ERROR_STATUS).join(', ');

describe('parseFault', () => {
  it.each<[string, Fault]>([
    [
      'dynamodb:PutItem=ProvisionedThroughputExceededException@0.2',
      { service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException', rate: 0.2 },
    ],
    ['sqs:SendMessage=InternalError#2', { service: 'sqs', operation: 'SendMessage', error: 'InternalError', count: 2 }],
    ['dynamodb:Query=+50ms', { service: 'dynamodb', operation: 'Query', latencyMs: 50 }],
    ['ssm:*=InternalServerError', { service: 'ssm', operation: '*', error: 'InternalServerError' }],
    [
      'ssm:GetParameter=ThrottlingException@1',
      { service: 'ssm', operation: 'GetParameter', error: 'ThrottlingException', rate: 1 },
    ],
    [
      'sqs:ReceiveMessage=ServiceUnavailable@0.5#3+20ms',
      { service: 'sqs', operation: 'ReceiveMessage', error: 'ServiceUnavailable', rate: 0.5, count: 3, latencyMs: 20 },
    ],
    ['  dynamodb:GetItem=InternalFailure  ', { service: 'dynamodb', operation: 'GetItem', error: 'InternalFailure' }],
  ])('accepts %j', (spec, fault) => {
    expect(parseFault(spec)).toEqual(fault);
  });

  it.each<[string, string, string]>([
    ['malformed: no =', 'dynamodb:PutItem', `fault "dynamodb:PutItem" is not ${FORMAT}`],
    ['malformed: no operation', 'dynamodb=InternalError', `fault "dynamodb=InternalError" is not ${FORMAT}`],
    ['malformed: latency without ms', 'dynamodb:Query=+50', `fault "dynamodb:Query=+50" is not ${FORMAT}`],
    [
      'malformed: options out of order',
      'sqs:SendMessage=InternalError#2@0.5',
      `fault "sqs:SendMessage=InternalError#2@0.5" is not ${FORMAT}`,
    ],
    ['malformed: empty', '', `fault "" is not ${FORMAT}`],
    [
      'unknown service',
      'lambda:Invoke=InternalError',
      'fault "lambda:Invoke=InternalError": unknown service lambda; one of dynamodb, ssm, sqs, eventbridge',
    ],
    [
      'unknown error code',
      'dynamodb:PutItem=Boom',
      'fault "dynamodb:PutItem=Boom": unknown error code Boom; one of ProvisionedThroughputExceededException, ThrottlingException, ' +
        'RequestLimitExceeded, ValidationException, AccessDeniedException, ResourceNotFoundException, UnrecognizedClientException, SerializationException, ParameterNotFound, ' +
        'QueueDoesNotExist, InternalServerError, InternalError, InternalFailure, ServiceUnavailable, ServiceUnavailableException',
    ],
    [
      'rate 0',
      'dynamodb:PutItem=InternalError@0',
      'fault "dynamodb:PutItem=InternalError@0": the rate must be in (0, 1]',
    ],
    [
      'rate above 1',
      'dynamodb:PutItem=InternalError@1.5',
      'fault "dynamodb:PutItem=InternalError@1.5": the rate must be in (0, 1]',
    ],
    [
      'rate not a number',
      'dynamodb:PutItem=InternalError@0.1.2',
      'fault "dynamodb:PutItem=InternalError@0.1.2": the rate must be in (0, 1]',
    ],
    [
      'count 0',
      'sqs:SendMessage=InternalError#0',
      'fault "sqs:SendMessage=InternalError#0": the count must be a positive integer',
    ],
    [
      'neither error nor latency',
      'dynamodb:PutItem=',
      'fault "dynamodb:PutItem=": names neither an error code nor a latency',
    ],
    [
      'a latency of 0 only',
      'dynamodb:PutItem=+0ms',
      'fault "dynamodb:PutItem=+0ms": names neither an error code nor a latency',
    ],
  ])('refuses %s', (_case, spec, message) => {
    let thrown: unknown;
    try {
      parseFault(spec);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FaultSpecError);
    expect((thrown as Error).message).toBe(message);
  });

  it('lists every error code in the refusal of an unknown one', () => {
    expect(() => parseFault('ssm:GetParameter=Nope')).toThrow(`unknown error code Nope; one of ${CODES}`);
  });
});

/** A seeded PRNG (mulberry32): the same seed, the same sequence. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A "random" that returns these values in turn. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

const hit = (injector: FaultInjector, service: 'dynamodb' | 'sqs' | 'ssm', operation: string) =>
  injector.decide(service, operation).error?.code;

describe('FaultInjector', () => {
  it('with no fault, a call gets neither latency nor error', () => {
    expect(new FaultInjector().decide('dynamodb', 'PutItem')).toEqual({ latencyMs: 0 });
  });

  it('answers with the status AWS gives the error code', () => {
    const injector = new FaultInjector();
    injector.add('dynamodb:PutItem=ProvisionedThroughputExceededException');
    injector.add('sqs:SendMessage=InternalError');
    injector.add('ssm:GetParameter=ServiceUnavailable');
    expect(injector.decide('dynamodb', 'PutItem')).toEqual({
      latencyMs: 0,
      error: { code: 'ProvisionedThroughputExceededException', status: 400 },
    });
    expect(injector.decide('sqs', 'SendMessage')).toEqual({
      latencyMs: 0,
      error: { code: 'InternalError', status: 500 },
    });
    expect(injector.decide('ssm', 'GetParameter')).toEqual({
      latencyMs: 0,
      error: { code: 'ServiceUnavailable', status: 503 },
    });
  });

  it.each<[string, string, 'dynamodb' | 'sqs' | 'ssm', string, boolean]>([
    ['the named operation', 'dynamodb:PutItem=InternalError', 'dynamodb', 'PutItem', true],
    ['not another operation', 'dynamodb:PutItem=InternalError', 'dynamodb', 'GetItem', false],
    ['not another service', 'dynamodb:PutItem=InternalError', 'sqs', 'PutItem', false],
    ['* : every operation of the service', 'ssm:*=InternalServerError', 'ssm', 'GetParameter', true],
    ['* : not another service', 'ssm:*=InternalServerError', 'sqs', 'SendMessage', false],
  ])('matches %s', (_case, spec, service, operation, hits) => {
    const injector = new FaultInjector();
    injector.add(spec);
    expect(hit(injector, service, operation) !== undefined).toBe(hits);
  });

  it('@rate hits a call when the random draw is below the rate', () => {
    const injector = new FaultInjector(sequence(0.1, 0.5, 0.29, 0.3, 0.99));
    injector.add('dynamodb:PutItem=ThrottlingException@0.3');
    const hits = Array.from({ length: 5 }, () => hit(injector, 'dynamodb', 'PutItem') !== undefined);
    expect(hits).toEqual([true, false, true, false, false]);
  });

  it('@rate with a seeded random: the same seed, the same calls hit, about rate of them', () => {
    const run = (seed: number) => {
      const injector = new FaultInjector(seeded(seed));
      injector.add('dynamodb:PutItem=ProvisionedThroughputExceededException@0.2');
      return Array.from({ length: 5000 }, () => hit(injector, 'dynamodb', 'PutItem') !== undefined);
    };
    const first = run(42);
    expect(run(42)).toEqual(first);
    expect(run(7)).not.toEqual(first);
    const share = first.filter(Boolean).length / first.length;
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
  });

  it('draws no random number for a fault without a rate, nor for a call no fault matches', () => {
    const random = jest.fn(() => 0);
    const injector = new FaultInjector(random);
    injector.add('dynamodb:PutItem=InternalError');
    injector.add('sqs:SendMessage=InternalError@0.5');
    injector.decide('dynamodb', 'PutItem');
    injector.decide('ssm', 'GetParameter');
    expect(random).not.toHaveBeenCalled();
    injector.decide('sqs', 'SendMessage');
    expect(random).toHaveBeenCalledTimes(1);
  });

  it('#count hits only the next N matching calls (other calls do not use it up)', () => {
    const injector = new FaultInjector();
    injector.add('sqs:SendMessage=InternalError#2');
    expect(hit(injector, 'sqs', 'SendMessage')).toBe('InternalError');
    expect(hit(injector, 'sqs', 'ReceiveMessage')).toBeUndefined();
    expect(hit(injector, 'dynamodb', 'SendMessage')).toBeUndefined();
    expect(hit(injector, 'sqs', 'SendMessage')).toBe('InternalError');
    expect(hit(injector, 'sqs', 'SendMessage')).toBeUndefined();
    expect(hit(injector, 'sqs', 'SendMessage')).toBeUndefined();
  });

  it('#count with @rate: only the calls hit count', () => {
    const injector = new FaultInjector(sequence(0.9, 0.1, 0.9, 0.1, 0.1));
    injector.add('dynamodb:PutItem=InternalError@0.5#2');
    const hits = Array.from({ length: 5 }, () => hit(injector, 'dynamodb', 'PutItem') !== undefined);
    expect(hits).toEqual([false, true, false, true, false]);
  });

  it('latencies of every matching fault add up, with or without an error', () => {
    const injector = new FaultInjector();
    injector.add('dynamodb:Query=+10ms');
    injector.add('dynamodb:*=+15ms');
    injector.add('dynamodb:Query=ThrottlingException+5ms');
    injector.add('dynamodb:PutItem=+1000ms');
    expect(injector.decide('dynamodb', 'Query')).toEqual({
      latencyMs: 30,
      error: { code: 'ThrottlingException', status: 400 },
    });
    expect(injector.decide('dynamodb', 'GetItem')).toEqual({ latencyMs: 15 });
  });

  it('the first error that hits wins', () => {
    const injector = new FaultInjector(sequence(0.9));
    injector.add('dynamodb:PutItem=ThrottlingException@0.5'); // drawn 0.9: misses
    injector.add('dynamodb:PutItem=ProvisionedThroughputExceededException#1');
    injector.add('dynamodb:*=InternalServerError');
    expect(hit(injector, 'dynamodb', 'PutItem')).toBe('ProvisionedThroughputExceededException');
    expect(hit(injector, 'dynamodb', 'PutItem')).toBe('InternalServerError');
  });

  it('the remover removes that fault only (twice is harmless); clear() removes all', () => {
    const injector = new FaultInjector();
    const removeThrottle = injector.add('dynamodb:PutItem=ThrottlingException');
    injector.add('dynamodb:PutItem=InternalError+5ms');
    expect(hit(injector, 'dynamodb', 'PutItem')).toBe('ThrottlingException');
    removeThrottle();
    removeThrottle();
    expect(injector.decide('dynamodb', 'PutItem')).toEqual({
      latencyMs: 5,
      error: { code: 'InternalError', status: 500 },
    });
    injector.clear();
    expect(injector.decide('dynamodb', 'PutItem')).toEqual({ latencyMs: 0 });
  });

  it('add() takes a Fault object too, checked like a spec', () => {
    const injector = new FaultInjector();
    injector.add({ service: 'sqs', operation: 'SendMessage', error: 'InternalError', count: 1 });
    expect(hit(injector, 'sqs', 'SendMessage')).toBe('InternalError');
    expect(hit(injector, 'sqs', 'SendMessage')).toBeUndefined();
    expect(() => injector.add({ service: 'sqs', operation: 'SendMessage', error: 'Nope' })).toThrow(FaultSpecError);
    expect(() => injector.add({ service: 'sqs', operation: 'SendMessage', error: 'InternalError', rate: 2 })).toThrow(
      'the rate must be in (0, 1]',
    );
    expect(() => injector.add({ service: 'sqs', operation: 'SendMessage' })).toThrow(
      'names neither an error code nor a latency',
    );
  });

  it('add() refuses a bad spec and adds nothing', () => {
    const injector = new FaultInjector();
    expect(() => injector.add('sqs:SendMessage=InternalError#0')).toThrow(FaultSpecError);
    expect(injector.decide('sqs', 'SendMessage')).toEqual({ latencyMs: 0 });
  });
});

describe('CallLog', () => {
  it('records calls in order; of() filters by service and operation; clear() empties it', () => {
    const log = new CallLog();
    log.record({ service: 'ssm', operation: 'GetParameter', input: { Name: '/a' } });
    log.record({ service: 'dynamodb', operation: 'PutItem', input: { TableName: 't' } });
    log.record({ service: 'ssm', operation: 'GetParameter', input: { Name: '/b' } });
    expect(log.calls.map((c) => c.operation)).toEqual(['GetParameter', 'PutItem', 'GetParameter']);
    expect(log.of('ssm').map((c) => c.input.Name)).toEqual(['/a', '/b']);
    expect(log.of('dynamodb', 'PutItem')).toHaveLength(1);
    expect(log.of('dynamodb', 'Query')).toEqual([]);
    log.clear();
    expect(log.calls).toEqual([]);
  });
});

describe('faults through the real SDK clients against the local services', () => {
  const region = 'us-west-2';
  const table = 'faults-test-table';
  const queueName = 'faults-test-queue';
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  let aws: LocalAws;
  let callsAfterStart: number;
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;
  let ssm: SSMClient;
  let queueUrl: string;

  const item = (id: string) => ({
    tracking_id: { S: id },
    timestamp: { N: '1700000000000' },
    status: { S: 'in_transit' },
    status_shard: { S: 'in_transit#0' },
  });

  beforeAll(async () => {
    aws = await startLocalAws({
      region,
      tables: [table],
      queues: [queueName],
      parameters: { '/faults/p': { value: 'v', type: 'String' } },
    });
    callsAfterStart = aws.calls.calls.length;
    queueUrl = aws.sqs.queue(queueName).url;
    // The function's own client configuration: standard retries, SDK_MAX_ATTEMPTS attempts.
    dynamodb = new DynamoDBClient({ ...awsClientConfig(), region, endpoint: aws.endpoints.dynamodb, credentials });
    sqs = new SQSClient({ ...awsClientConfig(), region, endpoint: aws.endpoints.sqs, credentials });
    ssm = new SSMClient({ ...awsClientConfig(), region, endpoint: aws.endpoints.ssm, credentials });
  });
  afterEach(() => {
    aws.faults.clear();
    aws.calls.clear();
    aws.sqs.queue(queueName).purge();
  });
  afterAll(async () => {
    dynamodb?.destroy();
    sqs?.destroy();
    ssm?.destroy();
    await aws?.close();
  });

  it('starts with an empty call record (setting up the table is not recorded)', () => {
    expect(callsAfterStart).toBe(0);
  });

  it('dynamodb:PutItem=ProvisionedThroughputExceededException: PutItem fails with that name after the SDK retries, every attempt recorded', async () => {
    aws.faults.add('dynamodb:PutItem=ProvisionedThroughputExceededException');
    let failure: (Error & { $metadata?: { attempts?: number; httpStatusCode?: number } }) | undefined;
    try {
      await dynamodb.send(new PutItemCommand({ TableName: table, Item: item('FAULT-1') }));
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure?.name).toBe('ProvisionedThroughputExceededException');
    expect(failure?.$metadata).toMatchObject({ httpStatusCode: 400, attempts: SDK_MAX_ATTEMPTS });
    expect(aws.calls.of('dynamodb', 'PutItem')).toHaveLength(SDK_MAX_ATTEMPTS);
    expect(aws.calls.of('dynamodb', 'PutItem')).toHaveLength(failure!.$metadata!.attempts!);

    // Nothing was stored; without the fault the same put succeeds.
    const missing = await dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { tracking_id: { S: 'FAULT-1' }, timestamp: { N: '1700000000000' } },
      }),
    );
    expect(missing.Item).toBeUndefined();
    aws.faults.clear();
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: item('FAULT-1') }));
    const stored = await dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { tracking_id: { S: 'FAULT-1' }, timestamp: { N: '1700000000000' } },
      }),
    );
    expect(stored.Item?.status).toEqual({ S: 'in_transit' });
  });

  it('+Nms delays a call by at least N ms (and only the matching operation)', async () => {
    const delay = 300;
    aws.faults.add(`sqs:GetQueueAttributes=+${delay}ms`);
    const started = performance.now();
    const answer = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(delay);
    expect(answer.Attributes).toEqual({ ApproximateNumberOfMessages: '0' });

    const quick = performance.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'quick' }));
    expect(performance.now() - quick).toBeLessThan(delay);
  });

  it('sqs:SendMessage=InternalError#1 fails once, then succeeds (the SDK retry stores the message once)', async () => {
    const once = new SQSClient({ region, endpoint: aws.endpoints.sqs, credentials, maxAttempts: 1 });
    try {
      aws.faults.add('sqs:SendMessage=InternalError#1');
      await expect(
        once.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'first' })),
      ).rejects.toMatchObject({
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
      await expect(
        once.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'second' })),
      ).resolves.toMatchObject({
        MessageId: expect.any(String),
      });
      expect(
        aws.sqs
          .queue(queueName)
          .messages()
          .map((m) => m.body),
      ).toEqual(['second']);
    } finally {
      once.destroy();
    }

    // With the SDK's retries, the one failure is invisible to the caller: two attempts, one message.
    aws.faults.add('sqs:SendMessage=InternalError#1');
    aws.calls.clear();
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'retried' }));
    expect(sent.$metadata.attempts).toBe(2);
    expect(aws.calls.of('sqs', 'SendMessage')).toHaveLength(2);
    expect(
      aws.sqs
        .queue(queueName)
        .messages()
        .map((m) => m.body),
    ).toEqual(['second', 'retried']);
  });

  it('the call record holds service, operation and input of each call, faulted ones included', async () => {
    aws.faults.add('dynamodb:PutItem=ValidationException');
    await ssm.send(new GetParameterCommand({ Name: '/faults/p' }));
    // ValidationException is not retried: one attempt.
    await expect(dynamodb.send(new PutItemCommand({ TableName: table, Item: item('FAULT-2') }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'recorded' }));

    expect(aws.calls.calls).toEqual([
      { service: 'ssm', operation: 'GetParameter', input: { Name: '/faults/p' }, principal: 'local' },
      {
        service: 'dynamodb',
        operation: 'PutItem',
        input: { TableName: table, Item: item('FAULT-2') },
        principal: 'local',
      },
      {
        service: 'sqs',
        operation: 'SendMessage',
        input: { QueueUrl: queueUrl, MessageBody: 'recorded' },
        principal: 'local',
      },
    ]);
    expect(aws.calls.of('dynamodb')).toHaveLength(1);
  });
});
