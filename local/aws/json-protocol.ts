/**
 * The one HTTP server of the local AWS services, for the AWS JSON protocols (awsJson1_0 / awsJson1_1):
 * one POST per call, the operation named by `X-Amz-Target: <prefix>.<Operation>`, JSON in and out,
 * errors as `{"__type": ..., "message": ...}` with a 4xx/5xx status, as the AWS SDK v3 clients expect.
 * Every call is recorded (CallLog), then the faults decide (FaultInjector): an added latency, an
 * error, or the operation's real answer. It does not check signatures: the engines behind it are
 * local stand-ins, reachable on loopback only. It does record the caller's access key id (the
 * call's `principal`), so a least-privilege proof can attribute each call to a function.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { CallLog, FaultInjector, ServiceName } from './faults';

/** An error the server answers as AWS would; `code` becomes the SDK's `error.name`. */
export class AwsServiceError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message?: string,
  ) {
    super(message ?? '');
  }
}

/** An answer passed through byte for byte (an engine that already speaks the protocol). */
export class RawAnswer {
  constructor(
    readonly statusCode: number,
    readonly body: string,
  ) {}
}

export type JsonOperation = (input: Record<string, unknown>, raw: string) => unknown | Promise<unknown>;

export interface JsonProtocolServerOptions {
  service: ServiceName;
  /** `DynamoDB_20120810`, `AmazonSSM`, `AmazonSQS`: the part of X-Amz-Target before the dot. */
  targetPrefix: string;
  /** `1.0` or `1.1`: the response's `application/x-amz-json-<version>` content type. */
  jsonVersion: '1.0' | '1.1';
  /** The operations the product calls; anything else is an UnknownOperationException. */
  operations: Record<string, JsonOperation>;
  /** The `__type` of an error code (services qualify it differently) and any headers it needs. */
  renderError?: (code: string, statusCode: number) => { type: string; headers?: Record<string, string> };
  faults: FaultInjector;
  calls: CallLog;
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

/** The access key id of a SigV4 `Authorization` header (`... Credential=<key>/<scope>, ...`); not verified. */
function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /\bCredential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

// Unref'd: a long injected latency (a hanging service) never keeps the process alive.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function startJsonProtocolServer(options: JsonProtocolServerOptions): Promise<JsonProtocolServer> {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const renderError =
    options.renderError ?? ((code: string): { type: string; headers?: Record<string, string> } => ({ type: code }));
  const send = (res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': randomUUID(),
      ...headers,
    });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, error: AwsServiceError) => {
    const { type, headers } = renderError(error.code, error.statusCode);
    const body: Record<string, string> = { __type: type };
    if (error.message) body.message = error.message;
    send(res, error.statusCode, JSON.stringify(body), headers);
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
          `This local ${options.service} implements only ${known}; got ${req.method} X-Amz-Target: ${JSON.stringify(target)}`,
        );
      }
      let input: Record<string, unknown>;
      try {
        input = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        throw new AwsServiceError(400, 'SerializationException', 'Start of structure or map found where not expected.');
      }
      const principal = accessKeyIdOf(req.headers.authorization);
      options.calls.record({
        service: options.service,
        operation: operationName,
        input,
        ...(principal === undefined ? {} : { principal }),
      });
      const decision = options.faults.decide(options.service, operationName, input);
      if (decision.error) {
        if (decision.latencyMs > 0) await sleep(decision.latencyMs);
        throw new AwsServiceError(
          decision.error.status,
          decision.error.code,
          `injected fault (${options.service}:${operationName})`,
        );
      }
      // An injected latency is the call's service time: its own work runs meanwhile (as a service
      // serving calls in parallel would), and the answer comes no sooner than that.
      const [answer] = await Promise.all([
        operation(input, raw),
        decision.latencyMs > 0 ? sleep(decision.latencyMs) : undefined,
      ]);
      if (answer instanceof RawAnswer) send(res, answer.statusCode, answer.body);
      else send(res, 200, JSON.stringify(answer ?? {}));
    } catch (error) {
      if (res.headersSent) return;
      if (error instanceof AwsServiceError) sendError(res, error);
      else sendError(res, new AwsServiceError(500, 'InternalFailure', (error as Error).message));
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
