/**
 * Reads a stack's configuration the way the Pulumi CLI would, without the CLI: project defaults from
 * Pulumi.yaml, overridden by Pulumi.<stack>.yaml. Used by the offline synth and the local API.
 */
import * as fs from 'fs';
import * as path from 'path';
import { load } from 'js-yaml';
import { PROJECT_NAME, type ConfigReader } from './config';
import { PROJECT_ROOT } from './bundle';

export interface StackConfigFile {
  stack: string;
  /** Fully qualified keys (`tap:apiRateLimit`, `aws:region`) to values. */
  values: Record<string, unknown>;
  /** Reader for the project's own keys (without the `tap:` prefix). */
  read: ConfigReader;
}

function qualify(key: string): string {
  return key.includes(':') ? key : `${PROJECT_NAME}:${key}`;
}

export function readStackConfigFile(stack: string, root: string = PROJECT_ROOT): StackConfigFile {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`invalid stack name ${JSON.stringify(stack)}`);
  const project = load(fs.readFileSync(path.join(root, 'Pulumi.yaml'), 'utf8')) as {
    config?: Record<string, unknown>;
  };
  const values: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    const isDeclaration = decl !== null && typeof decl === 'object' && !Array.isArray(decl);
    const fallback = isDeclaration ? (decl as { default?: unknown }).default : decl;
    if (fallback !== undefined) values[qualify(key)] = fallback;
  }
  const stackFile = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) throw new Error(`no stack config file ${stackFile}`);
  const stackConfig = (load(fs.readFileSync(stackFile, 'utf8')) as { config?: Record<string, unknown> })?.config ?? {};
  for (const [key, value] of Object.entries(stackConfig)) values[qualify(key)] = value;
  return { stack, values, read: (key) => values[qualify(key)] };
}
