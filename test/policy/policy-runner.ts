/**
 * Starts policy/ exactly as the Pulumi CLI does for `--policy-pack policy` (node resolves
 * @pulumi/pulumi/cmd/run-policy-pack from the pack's directory; the runner compiles index.ts with
 * ts-node and the PolicyPack prints its gRPC port), then speaks the analyzer protocol the engine
 * speaks: GetAnalyzerInfo, Analyze (one resource's inputs), AnalyzeStack (every resource).
 */
import { type ChildProcess, spawn } from 'child_process';
import { createRequire } from 'module';
import * as path from 'path';
import type * as grpcTypes from '@grpc/grpc-js';
import type * as analyzerPb from '@pulumi/pulumi/proto/analyzer_pb';
import type * as analyzerGrpc from '@pulumi/pulumi/proto/analyzer_grpc_pb';
import type * as structPb from 'google-protobuf/google/protobuf/struct_pb';
import type * as emptyPb from 'google-protobuf/google/protobuf/empty_pb';
import { urns, type SynthResource } from './harness';

export const POLICY_DIR = path.resolve(__dirname, '../../policy');

// The gRPC and protobuf modules the policy server itself uses (messages must come from the same copies).
const load = createRequire(require.resolve('@pulumi/pulumi'));
const grpc = load('@grpc/grpc-js') as typeof grpcTypes;
const pb = load('@pulumi/pulumi/proto/analyzer_pb') as typeof analyzerPb;
const services = load('@pulumi/pulumi/proto/analyzer_grpc_pb') as typeof analyzerGrpc;
const { Struct } = load('google-protobuf/google/protobuf/struct_pb') as typeof structPb;
const { Empty } = load('google-protobuf/google/protobuf/empty_pb') as typeof emptyPb;

interface Diagnostic {
  policy: string;
  level: 'advisory' | 'mandatory' | 'disabled' | 'remediate';
  urn: string;
  message: string;
}

const LEVELS = ['advisory', 'mandatory', 'disabled', 'remediate'] as const;

export interface RunningPack {
  info(): Promise<{ name: string; version: string; policies: { name: string; level: string }[] }>;
  analyze(resource: SynthResource, urn?: string): Promise<Diagnostic[]>;
  analyzeStack(resources: SynthResource[]): Promise<Diagnostic[]>;
  stop(): void;
}

function call<Req, Res>(
  method: (req: Req, cb: (err: grpcTypes.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => method(req, (err, res) => (err ? reject(err) : resolve(res))));
}

function diagnostics(response: analyzerPb.AnalyzeResponse): Diagnostic[] {
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    level: LEVELS[d.getEnforcementlevel()],
    urn: d.getUrn(),
    message: d.getMessage(),
  }));
}

function options(parentUrn?: string): analyzerPb.AnalyzerResourceOptions {
  const opts = new pb.AnalyzerResourceOptions();
  if (parentUrn) opts.setParent(parentUrn);
  return opts;
}

/** Starts the pack; resolves once its analyzer answers on the printed port. */
export async function startPack(timeoutMs = 30_000): Promise<RunningPack> {
  const runner = require.resolve('@pulumi/pulumi/cmd/run-policy-pack', { paths: [POLICY_DIR] });
  const child: ChildProcess = spawn(process.execPath, [runner, '127.0.0.1:0', '.'], {
    cwd: POLICY_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`policy pack did not start within ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /^(\d+)\s*$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr!.on('data', (chunk) => (err += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited with ${code}: ${err}`));
    });
  });
  const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  return {
    async info() {
      const info = await call<emptyPb.Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
      return {
        name: info.getName(),
        version: info.getVersion(),
        policies: info.getPoliciesList().map((p) => ({ name: p.getName(), level: LEVELS[p.getEnforcementlevel()] })),
      };
    },
    async analyze(resource, urn = `urn:pulumi:dev::tap::${resource.type}::${resource.name}`) {
      const req = new pb.AnalyzeRequest();
      req.setType(resource.type);
      req.setName(resource.name);
      req.setUrn(urn);
      req.setProperties(Struct.fromJavaScript(resource.inputs as never));
      req.setOptions(options());
      return diagnostics(
        await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(client.analyze.bind(client), req),
      );
    },
    async analyzeStack(resources) {
      const urnOf = urns(resources, 'dev', 'tap');
      const byName = new Map(resources.map((r) => [r.name, r]));
      const req = new pb.AnalyzeStackRequest();
      req.setResourcesList(
        resources.map((r) => {
          const parentUrn = r.parent ? urnOf.get(byName.get(r.parent)!) : undefined;
          const resource = new pb.AnalyzerResource();
          resource.setType(r.type);
          resource.setName(r.name);
          resource.setUrn(urnOf.get(r)!);
          resource.setProperties(Struct.fromJavaScript(r.inputs as never));
          resource.setOptions(options(parentUrn));
          if (parentUrn) resource.setParent(parentUrn);
          resource.setDependenciesList(
            (r.dependencies ?? []).flatMap((d) => (byName.has(d) ? [urnOf.get(byName.get(d)!)!] : [])),
          );
          return resource;
        }),
      );
      return diagnostics(
        await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack.bind(client), req),
      );
    },
    stop() {
      client.close();
      child.removeAllListeners('exit');
      child.kill();
    },
  };
}
