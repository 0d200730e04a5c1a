/**
 * A local stand-in for the two SSM Parameter Store calls the handler makes, GetParameter and
 * GetParameters, spoken in SSM's own protocol (awsJson1_1, `X-Amz-Target: AmazonSSM.<Operation>`),
 * so the real @aws-sdk/client-ssm (and Powertools Parameters on top of it) reaches it through
 * AWS_ENDPOINT_URL_SSM with no code change.
 *
 * As real SSM: a SecureString comes back decrypted only WithDecryption (otherwise its value is an
 * opaque ciphertext); a missing name is `ParameterNotFound` (GetParameter, no message, as SSM sends
 * it) or listed in `InvalidParameters` (GetParameters); more than 10 names is a ValidationException.
 * `setFailing(true)` turns every call into SSM's 500 InternalServerError, for fault tests.
 */
import { AwsServiceError, startJsonProtocolServer } from './json-protocol';

export type ParameterType = 'String' | 'SecureString';

export interface LocalParameter {
  value: string;
  type: ParameterType;
}

export interface LocalSsm {
  endpoint: string;
  /** Creates or updates a parameter (a new version; a new parameter is a String unless it existed). */
  set(name: string, value: string, type?: ParameterType): void;
  setFailing(failing: boolean): void;
  close(): Promise<void>;
}

interface StoredParameter extends LocalParameter {
  version: number;
  lastModified: number;
}

const GET_PARAMETERS_MAX_NAMES = 10;

export async function startSsm(
  parameters: Record<string, LocalParameter>,
  opts: { port?: number; region?: string; accountId?: string } = {},
): Promise<LocalSsm> {
  const region = opts.region ?? 'us-west-2';
  const accountId = opts.accountId ?? '123456789012';
  const store = new Map<string, StoredParameter>();
  let failing = false;

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

  const arn = (name: string) => `arn:aws:ssm:${region}:${accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;

  /** Accepts a name, `name:version`, or the parameter's ARN, as SSM does. */
  const lookup = (requested: string): { name: string; parameter: StoredParameter } | undefined => {
    let name = requested.replace(new RegExp(`^arn:aws:ssm:${region}:${accountId}:parameter(?=/)`), '');
    let version: number | undefined;
    const selector = /^(.*):(\d+)$/.exec(name);
    if (selector) {
      name = selector[1];
      version = Number(selector[2]);
    }
    const parameter = store.get(name);
    if (!parameter || (version !== undefined && version !== parameter.version)) return undefined;
    return { name, parameter };
  };

  const render = (name: string, parameter: StoredParameter, withDecryption: boolean) => ({
    Name: name,
    Type: parameter.type,
    Value:
      parameter.type === 'SecureString' && !withDecryption
        ? Buffer.concat([Buffer.from('local-kms:alias/aws/ssm:'), Buffer.from(parameter.value).reverse()]).toString('base64')
        : parameter.value,
    Version: parameter.version,
    LastModifiedDate: parameter.lastModified,
    ARN: arn(name),
    DataType: 'text',
  });

  const server = await startJsonProtocolServer({
    targetPrefix: 'AmazonSSM',
    jsonVersion: '1.1',
    port: opts.port,
    beforeCall: () => {
      if (failing) throw new AwsServiceError(500, 'InternalServerError', 'An error occurred (local SSM set to fail).');
    },
    operations: {
      GetParameter: (input) => {
        if (typeof input.Name !== 'string' || input.Name === '') {
          throw new AwsServiceError(
            400,
            'ValidationException',
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
          );
        }
        const found = lookup(input.Name);
        if (!found) throw new AwsServiceError(400, 'ParameterNotFound');
        return { Parameter: render(found.name, found.parameter, input.WithDecryption === true) };
      },
      GetParameters: (input) => {
        const names = input.Names;
        if (!Array.isArray(names) || names.length < 1 || names.length > GET_PARAMETERS_MAX_NAMES) {
          throw new AwsServiceError(
            400,
            'ValidationException',
            `1 validation error detected: Value '${JSON.stringify(names ?? null)}' at 'names' failed to satisfy constraint: ` +
              `Member must have length less than or equal to ${GET_PARAMETERS_MAX_NAMES} and greater than or equal to 1`,
          );
        }
        const found: ReturnType<typeof render>[] = [];
        const invalid: string[] = [];
        for (const requested of new Set(names.map(String))) {
          const hit = lookup(requested);
          if (hit) found.push(render(hit.name, hit.parameter, input.WithDecryption === true));
          else invalid.push(requested);
        }
        return { Parameters: found, InvalidParameters: invalid };
      },
    },
  });

  return {
    endpoint: server.endpoint,
    set,
    setFailing: (value) => {
      failing = value;
    },
    close: () => server.close(),
  };
}
