/**
 * IAM policy documents as the rules read them: parsed from the JSON string AWS receives (or an
 * object), statements normalised to arrays, wildcard patterns matched as IAM does (actions
 * case-insensitively, `*` and `?`).
 */
import { list, obj, str } from './kit';

export interface Statement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principal?: unknown;
  notPrincipal?: unknown;
  condition?: Record<string, unknown>;
}

export type Parsed = { statements: Statement[] } | { error: string };

function strings(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return list(value).map((v) => String(v));
}

/** Parses a policy document; `{error}` when it is not a document a rule can judge. */
export function parseDocument(document: unknown): Parsed {
  let value = document;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { error: 'policy document is not valid JSON' };
    }
  }
  const doc = obj(value);
  if (!doc) return { error: 'policy document is not a JSON object' };
  const statements: Statement[] = [];
  for (const raw of list(doc.Statement)) {
    const s = obj(raw);
    const effect = s && str(s.Effect);
    if (!s || (effect !== 'Allow' && effect !== 'Deny')) return { error: 'statement without Effect Allow or Deny' };
    statements.push({
      sid: str(s.Sid),
      effect,
      actions: strings(s.Action),
      notActions: strings(s.NotAction),
      resources: strings(s.Resource),
      notResources: strings(s.NotResource),
      principal: s.Principal,
      notPrincipal: s.NotPrincipal,
      condition: obj(s.Condition),
    });
  }
  return { statements };
}

function globRegExp(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, flags);
}

/** True when the IAM action pattern (e.g. `dynamodb:Put*`) covers the action; case-insensitive. */
function actionMatches(pattern: string, action: string): boolean {
  return globRegExp(pattern, 'i').test(action);
}

/** True when the ARN pattern (e.g. `arn:aws:sqs:*:*:queue-*`) covers the ARN; case-sensitive, as IAM matches resources. */
export function resourceMatches(pattern: string, arn: string): boolean {
  return globRegExp(pattern, '').test(arn);
}

/** True when the statement's Action/NotAction covers the action. */
export function statementCoversAction(statement: Statement, action: string): boolean {
  if (statement.notActions) return !statement.notActions.some((p) => actionMatches(p, action));
  return (statement.actions ?? []).some((p) => actionMatches(p, action));
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** `*`, or an ARN whose resource part is nothing but `*` (e.g. `arn:aws:sqs:*:*:*`). */
export function isUnscopedResource(resource: string): boolean {
  if (resource === '*') return true;
  const parts = resource.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts.slice(5).join(':') === '*';
}

/** `"*"` or `{"AWS": "*"}` (any principal at all). */
export function isAnyPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  const p = obj(principal);
  return !!p && list(p.AWS).some((v) => v === '*');
}

/** Describes a statement for a violation message. */
export function label(statement: Statement, index: number): string {
  return statement.sid ? `statement "${statement.sid}"` : `statement #${index + 1}`;
}
