/**
 * A stand-in for DynamoDB and SSM that answers instantly, so benchmark figures measure our code,
 * not a database. It understands exactly the calls the handler and the baselines make.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface StandIn {
  endpoint: string;
  /** Calls answered, by X-Amz-Target operation. */
  calls: Record<string, number>;
  close(): Promise<void>;
}

type Answer = (request: Record<string, unknown>) => unknown;

export async function startAwsStandIn(parameters: Record<string, string>, sampleItem: Record<string, unknown>): Promise<StandIn> {
  const ssmParameter = (name: string) => ({ Name: name, Type: 'String', Value: parameters[name], Version: 1 });
  const answers: Record<string, Answer> = {
    'DynamoDB_20120810.PutItem': () => ({}),
    'DynamoDB_20120810.Query': () => ({ Items: [sampleItem], Count: 1, ScannedCount: 1 }),
    'AmazonSSM.GetParameter': (req) => ({ Parameter: ssmParameter(req.Name as string) }),
    'AmazonSSM.GetParameters': (req) => ({
      Parameters: (req.Names as string[]).filter((n) => n in parameters).map(ssmParameter),
      InvalidParameters: (req.Names as string[]).filter((n) => !(n in parameters)),
    }),
  };
  const calls: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const answer = answers[target];
      calls[target] = (calls[target] ?? 0) + 1;
      const contentType = target.startsWith('DynamoDB') ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
      if (!answer) {
        res.writeHead(400, { 'content-type': contentType });
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `stand-in does not answer ${target}` }));
        return;
      }
      const body = JSON.stringify(answer(JSON.parse(Buffer.concat(chunks).toString() || '{}')));
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
