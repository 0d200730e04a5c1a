/**
 * A tiny HTTP server for the AWS JSON protocols (awsJson1_0 / awsJson1_1): one POST per call, the
 * operation named by `X-Amz-Target: <prefix>.<Operation>`, JSON in and out, errors as
 * `{"__type": ..., "message": ...}` with a 4xx/5xx status, as the AWS SDK v3 clients expect.
 * It does not check signatures: the engines behind it are local stand-ins, reachable on loopback only.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

/** An error the server answers as AWS would; `type` is the `__type` the SDK turns into `error.name`. */
export class AwsServiceError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: string,
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? '');
  }
}

export type JsonOperation = (input: Record<string, unknown>) => unknown | Promise<unknown>;

export interface JsonProtocolServerOptions {
  /** `AmazonSSM`, `AmazonSQS`: the part of X-Amz-Target before the dot. */
  targetPrefix: string;
  /** `1.0` or `1.1`: the response's `application/x-amz-json-<version>` content type. */
  jsonVersion: '1.0' | '1.1';
  operations: Record<string, JsonOperation>;
  /** Checked before every call: an error thrown here is the answer (fault injection). */
  beforeCall?: () => void;
  port?: number;
  host?: string;
}

export interface JsonProtocolServer {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startJsonProtocolServer(options: JsonProtocolServerOptions): Promise<JsonProtocolServer> {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': randomUUID(),
      ...headers,
    });
    res.end(text);
  };

  const server = http.createServer(async (req, res) => {
    try {
      const raw = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operationName] = target.split('.');
      const operation = prefix === options.targetPrefix ? options.operations[operationName] : undefined;
      if (req.method !== 'POST' || !operation) {
        const known = Object.keys(options.operations).join(', ');
        throw new AwsServiceError(
          400,
          'UnknownOperationException',
          `This local ${options.targetPrefix} stand-in implements only ${known}; got ${req.method} X-Amz-Target: ${JSON.stringify(target)}`,
        );
      }
      options.beforeCall?.();
      let input: Record<string, unknown>;
      try {
        input = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        throw new AwsServiceError(400, 'SerializationException', 'Start of structure or map found where not expected.');
      }
      send(res, 200, (await operation(input)) ?? {});
    } catch (error) {
      if (error instanceof AwsServiceError) {
        const body: Record<string, string> = { __type: error.type };
        if (error.message) body.message = error.message;
        send(res, error.statusCode, body, error.headers);
      } else {
        send(res, 500, { __type: 'InternalFailure', message: (error as Error).message });
      }
    }
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
