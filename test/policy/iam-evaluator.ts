/**
 * A small IAM evaluator for identity-based policy documents, independent of the policy pack (an
 * oracle for the least-privilege test). Matching is as AWS does it:
 * - actions: `*` (any run of characters) and `?` (one character), case-insensitive;
 * - resources: the same wildcards, case-sensitive; policy variables (`${aws:username}`) match
 *   anything, an over-approximation;
 * - Action/NotAction, Resource/NotResource; an explicit Deny beats any Allow; no statement, no access.
 * Conditions are not evaluated. To keep "is X granted by any statement?" on the safe side, an Allow
 * with a condition still counts as granting, and a Deny with a condition does not count as denying.
 */

export interface Statement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditional: boolean;
}

type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  decision: Decision;
  /** Labels (Sid, else document#statement) of the Allow statements that match. */
  allowedBy: string[];
  deniedBy: string[];
}

function toList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Parses a document given as the JSON string AWS receives, or as an object. Throws on anything else. */
export function parsePolicy(document: unknown): Statement[] {
  const doc = typeof document === 'string' ? JSON.parse(document) : document;
  if (!doc || typeof doc !== 'object' || !('Statement' in doc)) throw new Error('not an IAM policy document');
  const raw = (doc as { Statement: unknown }).Statement;
  return (Array.isArray(raw) ? raw : [raw]).map((s: Record<string, unknown>) => {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new Error(`statement with Effect ${String(s.Effect)}`);
    return {
      sid: typeof s.Sid === 'string' ? s.Sid : undefined,
      effect: s.Effect,
      action: toList(s.Action),
      notAction: toList(s.NotAction),
      resource: toList(s.Resource),
      notResource: toList(s.NotResource),
      conditional: s.Condition !== undefined && Object.keys(s.Condition as object).length > 0,
    };
  });
}

/** IAM wildcard match of `value` against `pattern`. */
export function wildcardMatch(pattern: string, value: string, caseSensitive: boolean): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i);
      if (end > i) {
        source += '.*';
        i = end;
        continue;
      }
    }
    source += c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseSensitive ? '' : 'i').test(value);
}

function inScope(
  patterns: string[] | undefined,
  notPatterns: string[] | undefined,
  value: string,
  caseSensitive: boolean,
): boolean {
  if (notPatterns) return !notPatterns.some((p) => wildcardMatch(p, value, caseSensitive));
  return (patterns ?? []).some((p) => wildcardMatch(p, value, caseSensitive));
}

function statementMatches(s: Statement, action: string, resource: string): boolean {
  return inScope(s.action, s.notAction, action, false) && inScope(s.resource, s.notResource, resource, true);
}

/** Evaluates one request (action on resource) against a set of identity-based policy documents. */
export function evaluate(documents: unknown[], action: string, resource: string): Evaluation {
  const allowedBy: string[] = [];
  const deniedBy: string[] = [];
  documents.forEach((document, d) => {
    parsePolicy(document).forEach((s, i) => {
      if (!statementMatches(s, action, resource)) return;
      const label = s.sid ?? `document ${d + 1} statement ${i + 1}`;
      if (s.effect === 'Allow') allowedBy.push(label);
      else if (!s.conditional) deniedBy.push(label);
    });
  });
  const decision: Decision = deniedBy.length ? 'explicit-deny' : allowedBy.length ? 'allow' : 'implicit-deny';
  return { decision, allowedBy, deniedBy };
}

export function isAllowed(documents: unknown[], action: string, resource: string): boolean {
  return evaluate(documents, action, resource).decision === 'allow';
}
