/**
 * The local SSM Parameter Store: the one call the function makes, GetParameter (Powertools
 * Parameters' `get`), in SSM's own protocol (awsJson1_1, `X-Amz-Target: AmazonSSM.GetParameter`), so
 * the real @aws-sdk/client-ssm reaches it through AWS_ENDPOINT_URL_SSM with no code change.
 *
 * As real SSM: a SecureString comes back decrypted only WithDecryption (otherwise its value is an
 * opaque ciphertext); the name may be the parameter's ARN; a missing name is `ParameterNotFound`
 * (no message, as SSM sends it).
 */
import type { CallLog, FaultInjector } from './faults';
import { AwsServiceError, startJsonProtocolServer } from './json-protocol';

type ParameterType = 'String' | 'SecureString';

export interface LocalParameter {
  value: string;
  type: ParameterType;
}

export interface LocalSsm {
  endpoint: string;
  /** Creates or updates a parameter (a new version; a new parameter is a String unless it existed). */
  set(name: string, value: string, type?: ParameterType): void;
  /** Deletes a parameter (GetParameter then answers ParameterNotFound). */
  delete(name: string): void;
  close(): Promise<void>;
}

interface StoredParameter extends LocalParameter {
  version: number;
  lastModified: number;
}

export async function startSsm(
  parameters: Record<string, LocalParameter>,
  opts: { faults: FaultInjector; calls: CallLog; region: string; accountId: string; port?: number },
): Promise<LocalSsm> {
  const { region, accountId } = opts;
  const store = new Map<string, StoredParameter>();

  const set = (name: string, value: string, type?: ParameterType) => {
    const previous = store.get(name);
    store.set(name, {
      value,
      type: type ?? previous?.type ?? 'String',
      version: (previous?.version ?? 0) + 1,
      lastModified: Date.now() / 1000,
    });
  };
  for (const [name, parameter] of Object.entries(parameters)) set(name, parameter.value, parameter.type);

  const arnPrefix = `arn:aws:ssm:${region}:${accountId}:parameter`;

  const server = await startJsonProtocolServer({
    service: 'ssm',
    targetPrefix: 'AmazonSSM',
    jsonVersion: '1.1',
    faults: opts.faults,
    calls: opts.calls,
    port: opts.port,
    operations: {
      GetParameter: (input) => {
        if (typeof input.Name !== 'string' || input.Name === '') {
          throw new AwsServiceError(
            400,
            'ValidationException',
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
          );
        }
        const name = input.Name.startsWith(`${arnPrefix}/`) ? input.Name.slice(arnPrefix.length) : input.Name;
        const parameter = store.get(name);
        if (!parameter) throw new AwsServiceError(400, 'ParameterNotFound');
        const secret = parameter.type === 'SecureString' && input.WithDecryption !== true;
        return {
          Parameter: {
            Name: name,
            Type: parameter.type,
            Value: secret
              ? Buffer.concat([
                  Buffer.from('local-kms:alias/aws/ssm:'),
                  Buffer.from(parameter.value).reverse(),
                ]).toString('base64')
              : parameter.value,
            Version: parameter.version,
            LastModifiedDate: parameter.lastModified,
            ARN: `${arnPrefix}${name.startsWith('/') ? '' : '/'}${name}`,
            DataType: 'text',
          },
        };
      },
    },
  });

  return {
    endpoint: server.endpoint,
    set,
    delete: (name) => void store.delete(name),
    close: () => server.close(),
  };
}
