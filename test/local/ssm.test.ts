/** The local SSM stand-in, driven by the real @aws-sdk/client-ssm. */
import { GetParameterCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { LOCAL_ACCOUNT_ID } from '../../local/aws';
import { CallLog, FaultInjector } from '../../local/aws/faults';
import { startSsm, type LocalSsm } from '../../local/aws/ssm';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local SSM (awsJson1_1)', () => {
  const faults = new FaultInjector();
  const calls = new CallLog();
  let ssm: LocalSsm;
  let client: SSMClient;

  beforeAll(async () => {
    ssm = await startSsm(
      {
        '/logistics/api/dev/config': { value: '{"max_request_size":10240}', type: 'String' },
        '/logistics/db/dev/endpoint': { value: 'tracking-dev', type: 'SecureString' },
      },
      { faults, calls, region: 'us-west-2', accountId: LOCAL_ACCOUNT_ID },
    );
    client = new SSMClient({ endpoint: ssm.endpoint, region: 'us-west-2', credentials, maxAttempts: 1 });
  });
  afterEach(() => {
    faults.clear();
    calls.clear();
  });
  afterAll(async () => {
    client.destroy();
    await ssm.close();
  });

  it('GetParameter returns a String parameter with its metadata', async () => {
    const { Parameter } = await client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config' }));
    expect(Parameter).toMatchObject({
      Name: '/logistics/api/dev/config',
      Type: 'String',
      Value: '{"max_request_size":10240}',
      Version: 1,
      DataType: 'text',
      ARN: 'arn:aws:ssm:us-west-2:123456789012:parameter/logistics/api/dev/config',
    });
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date);
  });

  it('decrypts a SecureString only WithDecryption', async () => {
    const plain = await client.send(
      new GetParameterCommand({ Name: '/logistics/db/dev/endpoint', WithDecryption: true }),
    );
    expect(plain.Parameter?.Value).toBe('tracking-dev');
    const cipher = await client.send(new GetParameterCommand({ Name: '/logistics/db/dev/endpoint' }));
    expect(cipher.Parameter?.Type).toBe('SecureString');
    expect(cipher.Parameter?.Value).not.toContain('tracking-dev');
  });

  it('accepts the parameter ARN', async () => {
    const arn = 'arn:aws:ssm:us-west-2:123456789012:parameter/logistics/api/dev/config';
    expect((await client.send(new GetParameterCommand({ Name: arn }))).Parameter?.Name).toBe(
      '/logistics/api/dev/config',
    );
  });

  it('answers ParameterNotFound for a missing name', async () => {
    await expect(client.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('set() updates the value and bumps the version', async () => {
    ssm.set('/logistics/api/dev/config', '{"max_request_size":2048}');
    const { Parameter } = await client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config' }));
    expect(Parameter).toMatchObject({ Value: '{"max_request_size":2048}', Version: 2, Type: 'String' });
  });

  it('set() keeps the type of an existing parameter, and a new one is a String', async () => {
    ssm.set('/logistics/db/dev/endpoint', 'tracking-dev-2');
    const secret = await client.send(
      new GetParameterCommand({ Name: '/logistics/db/dev/endpoint', WithDecryption: true }),
    );
    expect(secret.Parameter).toMatchObject({ Type: 'SecureString', Value: 'tracking-dev-2', Version: 2 });
    ssm.set('/logistics/new', 'fresh');
    expect((await client.send(new GetParameterCommand({ Name: '/logistics/new' }))).Parameter).toMatchObject({
      Type: 'String',
      Version: 1,
    });
  });

  it('delete() removes a parameter: GetParameter then answers ParameterNotFound', async () => {
    ssm.set('/logistics/doomed', 'x');
    await expect(client.send(new GetParameterCommand({ Name: '/logistics/doomed' }))).resolves.toBeTruthy();
    ssm.delete('/logistics/doomed');
    await expect(client.send(new GetParameterCommand({ Name: '/logistics/doomed' }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });

  it('answers an operation it does not implement (GetParameters, PutParameter) with a clear error', async () => {
    await expect(
      client.send(new PutParameterCommand({ Name: '/x', Value: 'y', Type: 'String' })),
    ).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining('implements only GetParameter;'),
    });
    await expect(client.send(new GetParametersCommand({ Names: ['/logistics/api/dev/config'] }))).rejects.toMatchObject(
      {
        name: 'UnknownOperationException',
      },
    );
  });

  it('an ssm:* InternalServerError fault makes every call a 500 InternalServerError until removed', async () => {
    const remove = faults.add('ssm:*=InternalServerError');
    try {
      await expect(client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config' }))).rejects.toMatchObject({
        name: 'InternalServerError',
        $metadata: { httpStatusCode: 500 },
      });
    } finally {
      remove();
    }
    await expect(client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config' }))).resolves.toBeTruthy();
    expect(calls.of('ssm', 'GetParameter')).toEqual([
      { service: 'ssm', operation: 'GetParameter', input: { Name: '/logistics/api/dev/config' }, principal: 'local' },
      { service: 'ssm', operation: 'GetParameter', input: { Name: '/logistics/api/dev/config' }, principal: 'local' },
    ]);
  });
});
