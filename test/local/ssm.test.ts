/** The local SSM stand-in, driven by the real @aws-sdk/client-ssm. */
import { GetParameterCommand, GetParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { startSsm, type LocalSsm } from '../../local/aws/ssm';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('local SSM (awsJson1_1)', () => {
  let ssm: LocalSsm;
  let client: SSMClient;

  beforeAll(async () => {
    ssm = await startSsm({
      '/logistics/api/dev/config': { value: '{"max_request_size":10240}', type: 'String' },
      '/logistics/db/dev/endpoint': { value: 'tracking-dev', type: 'SecureString' },
    });
    client = new SSMClient({ endpoint: ssm.endpoint, region: 'us-west-2', credentials, maxAttempts: 1 });
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
    const plain = await client.send(new GetParameterCommand({ Name: '/logistics/db/dev/endpoint', WithDecryption: true }));
    expect(plain.Parameter?.Value).toBe('tracking-dev');
    const cipher = await client.send(new GetParameterCommand({ Name: '/logistics/db/dev/endpoint' }));
    expect(cipher.Parameter?.Type).toBe('SecureString');
    expect(cipher.Parameter?.Value).not.toContain('tracking-dev');
  });

  it('accepts the parameter ARN and a matching version selector', async () => {
    const arn = 'arn:aws:ssm:us-west-2:123456789012:parameter/logistics/api/dev/config';
    expect((await client.send(new GetParameterCommand({ Name: arn }))).Parameter?.Name).toBe('/logistics/api/dev/config');
    expect((await client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config:1' }))).Parameter?.Version).toBe(1);
  });

  it('answers ParameterNotFound for a missing name', async () => {
    await expect(client.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('GetParameters lists found parameters and InvalidParameters', async () => {
    const out = await client.send(
      new GetParametersCommand({ Names: ['/logistics/api/dev/config', '/logistics/db/dev/endpoint', '/missing'], WithDecryption: true }),
    );
    expect(out.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ['/logistics/api/dev/config', '{"max_request_size":10240}'],
      ['/logistics/db/dev/endpoint', 'tracking-dev'],
    ]);
    expect(out.InvalidParameters).toEqual(['/missing']);
  });

  it('GetParameters refuses more than 10 names', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `/p${i}`);
    await expect(client.send(new GetParametersCommand({ Names: names }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('set() updates the value and bumps the version', async () => {
    ssm.set('/logistics/api/dev/config', '{"max_request_size":2048}');
    const { Parameter } = await client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config' }));
    expect(Parameter).toMatchObject({ Value: '{"max_request_size":2048}', Version: 2, Type: 'String' });
  });

  it('answers an unknown operation with a clear error', async () => {
    await expect(
      client.send(new PutParameterCommand({ Name: '/x', Value: 'y', Type: 'String' })),
    ).rejects.toMatchObject({ name: 'UnknownOperationException', message: expect.stringContaining('GetParameter, GetParameters') });
  });

  it('setFailing(true) makes every call a 500 InternalServerError', async () => {
    ssm.setFailing(true);
    try {
      await expect(client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config' }))).rejects.toMatchObject({
        name: 'InternalServerError',
        $metadata: { httpStatusCode: 500 },
      });
    } finally {
      ssm.setFailing(false);
    }
    await expect(client.send(new GetParameterCommand({ Name: '/logistics/api/dev/config' }))).resolves.toBeTruthy();
  });
});
