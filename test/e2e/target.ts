/**
 * Which API the end-to-end suite runs against:
 * - TAP_API_ENDPOINT set, or cfn-outputs/flat-outputs.json present (`pulumi stack output --json`,
 *   key `api_endpoint`): that deployed stage, signing with the default AWS credential chain;
 * - otherwise the local API (`startLocalApi`) on a free port, signing with its local credentials.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../../lib/bundle';
import { startLocalApi, type LocalApi } from '../../local/local-api';
import { apiClient, type ApiClient } from './client';

export const OUTPUTS_FILE = path.join(PROJECT_ROOT, 'cfn-outputs', 'flat-outputs.json');

interface DeployedTarget {
  endpoint: string;
  region: string;
  source: string;
}

/** The deployed stage to test, if any (decided synchronously, so cases can be skipped up front). */
function deployedTarget(env: NodeJS.ProcessEnv = process.env): DeployedTarget | undefined {
  let endpoint = env.TAP_API_ENDPOINT?.trim();
  let region: string | undefined;
  let source = 'TAP_API_ENDPOINT';
  if (!endpoint && fs.existsSync(OUTPUTS_FILE)) {
    const outputs = JSON.parse(fs.readFileSync(OUTPUTS_FILE, 'utf8')) as Record<string, unknown>;
    if (typeof outputs.api_endpoint !== 'string' || !outputs.api_endpoint) {
      throw new Error(`${OUTPUTS_FILE} has no api_endpoint output`);
    }
    endpoint = outputs.api_endpoint;
    region = typeof outputs.region === 'string' ? outputs.region : undefined;
    source = OUTPUTS_FILE;
  }
  if (!endpoint) return undefined;
  region ??=
    /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(endpoint)?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`cannot tell the region of ${endpoint}: set AWS_REGION`);
  return { endpoint: endpoint.replace(/\/$/, ''), region, source };
}

const DEPLOYED = deployedTarget();

export interface Target {
  kind: 'local' | 'deployed';
  client: ApiClient;
  /** The local API, when the target is local. */
  local?: LocalApi;
  close(): Promise<void>;
}

export async function openTarget(): Promise<Target> {
  if (DEPLOYED) {
    const chain = fromNodeProviderChain();
    return {
      kind: 'deployed',
      client: apiClient(DEPLOYED.endpoint, DEPLOYED.region, () => chain()),
      close: async () => undefined,
    };
  }
  const local = await startLocalApi({ port: 0, log: () => undefined, functionLog: () => undefined });
  return {
    kind: 'local',
    client: apiClient(local.url, local.region, async () => local.credentials),
    local,
    close: () => local.close(),
  };
}

/** `it` for cases that only make sense against the local API; printed and skipped elsewhere. */
export function localOnly(reason: string): jest.It {
  if (!DEPLOYED) return it;
  return ((name: string, fn?: jest.ProvidesCallback, timeout?: number) => {
    console.log(`skipped against ${DEPLOYED.endpoint}: "${name}" (${reason})`);
    return it.skip(name, fn, timeout);
  }) as unknown as jest.It;
}

/** A tracking id no other run uses. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
