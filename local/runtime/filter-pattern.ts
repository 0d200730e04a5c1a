/**
 * Lambda event filtering (an event source mapping's FilterCriteria): the EventBridge-style filter
 * pattern syntax, evaluated against one record (for a DynamoDB stream: the whole record, `eventName`,
 * `dynamodb.Keys.<name>.N`, ...). A pattern is checked when it is compiled: anything this does not
 * implement throws a FilterPatternError, so a pattern is never silently taken to match.
 *
 * Implemented:
 *   - nested objects: every key of the pattern must match the record's field of that name (an object
 *     field; a field holding an array of objects matches when one element does);
 *   - leaves are arrays of allowed values, any one of which may match; the record's value matches
 *     exactly (strings case-sensitively, numbers numerically, booleans, null), or, when the record's
 *     field is an array, when one of its elements does;
 *   - `{"anything-but": v | [v...] | {"prefix": s} | {"suffix": s}}`: present, and none of those;
 *   - `{"prefix": s}`, `{"suffix": s}`: a string beginning / ending with s;
 *   - `{"equals-ignore-case": s}`;
 *   - `{"exists": true | false}`: the field is present (a leaf) / absent;
 *   - `{"numeric": ["=", n]}`, `{"numeric": [">", a, "<=", b]}` ...: a number in the range.
 * A field the record lacks matches only `{"exists": false}`. Several patterns (FilterCriteria holds
 * up to 5) are alternatives: a record passes when one of them matches.
 *
 * Not implemented (they throw): `wildcard`, `cidr`, `$or`, `anything-but` with `wildcard` or
 * `equals-ignore-case`, and Lambda's parsing of a string `body` as JSON (SQS/Kinesis data, not DynamoDB).
 */

export type FilterPattern = { [field: string]: FilterPattern | readonly unknown[] };

export class FilterPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterPatternError';
  }
}

/** A value present at a path, or absent. */
type Probe = { present: true; value: unknown } | { present: false };
type ValueTest = (probe: Probe) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLiteral = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const show = (v: unknown) => JSON.stringify(v);

/** The values of a field to test: its elements when it holds an array (of leaves), else the value itself. */
const leaves = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function equalLiteral(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'number') return typeof actual === 'number' && actual === expected;
  return actual === expected;
}

const NUMERIC_OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function compileNumeric(spec: unknown, where: string): (v: number) => boolean {
  if (!Array.isArray(spec) || spec.length === 0 || spec.length % 2 !== 0 || spec.length > 4) {
    throw new FilterPatternError(
      `${where}: "numeric" takes [operator, number] or two of them (a range), got ${show(spec)}`,
    );
  }
  const checks: ((v: number) => boolean)[] = [];
  for (let i = 0; i < spec.length; i += 2) {
    const [op, bound] = [spec[i], spec[i + 1]];
    const compare = typeof op === 'string' ? NUMERIC_OPERATORS[op] : undefined;
    if (!compare || typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new FilterPatternError(
        `${where}: "numeric" wants an operator (${Object.keys(NUMERIC_OPERATORS).join(' ')}) and a number, got ${show(op)}, ${show(bound)}`,
      );
    }
    checks.push((v) => compare(v, bound));
  }
  return (v) => checks.every((check) => check(v));
}

function stringOperand(operator: string, operand: unknown, where: string): string {
  if (typeof operand !== 'string')
    throw new FilterPatternError(`${where}: "${operator}" takes a string, got ${show(operand)}`);
  return operand;
}

/** One element of a leaf's array: a literal, or an object naming one operator. */
function compileMatcher(matcher: unknown, where: string): ValueTest {
  if (isLiteral(matcher)) {
    return (probe) => probe.present && leaves(probe.value).some((v) => equalLiteral(matcher, v));
  }
  if (!isObject(matcher)) throw new FilterPatternError(`${where}: ${show(matcher)} is neither a value nor an operator`);
  const keys = Object.keys(matcher);
  if (keys.length !== 1) {
    throw new FilterPatternError(`${where}: an operator object names exactly one operator, got ${show(matcher)}`);
  }
  const [operator] = keys;
  const operand = matcher[operator];
  const onLeaves = (test: (v: unknown) => boolean): ValueTest => {
    return (probe) => probe.present && leaves(probe.value).some(test);
  };
  switch (operator) {
    case 'exists':
      if (typeof operand !== 'boolean') throw new FilterPatternError(`${where}: "exists" takes true or false`);
      // Exists is about leaves: a field holding an object (or an empty array) has no value here.
      return (probe) => {
        const present = probe.present && !isObject(probe.value) && leaves(probe.value).length > 0;
        return present === operand;
      };
    case 'prefix': {
      const prefix = stringOperand(operator, operand, where);
      return onLeaves((v) => typeof v === 'string' && v.startsWith(prefix));
    }
    case 'suffix': {
      const suffix = stringOperand(operator, operand, where);
      return onLeaves((v) => typeof v === 'string' && v.endsWith(suffix));
    }
    case 'equals-ignore-case': {
      const expected = stringOperand(operator, operand, where).toLowerCase();
      return onLeaves((v) => typeof v === 'string' && v.toLowerCase() === expected);
    }
    case 'numeric': {
      const inRange = compileNumeric(operand, where);
      return onLeaves((v) => typeof v === 'number' && inRange(v));
    }
    case 'anything-but': {
      let excluded: (v: unknown) => boolean;
      if (isLiteral(operand) && operand !== null) {
        excluded = (v) => equalLiteral(operand, v);
      } else if (Array.isArray(operand)) {
        if (operand.length === 0 || !operand.every((x) => isLiteral(x) && x !== null)) {
          throw new FilterPatternError(
            `${where}: "anything-but" takes strings or numbers (or one prefix/suffix), got ${show(operand)}`,
          );
        }
        excluded = (v) => operand.some((x) => equalLiteral(x, v));
      } else if (
        isObject(operand) &&
        Object.keys(operand).length === 1 &&
        ('prefix' in operand || 'suffix' in operand)
      ) {
        const kind = 'prefix' in operand ? 'prefix' : 'suffix';
        const text = stringOperand(`anything-but ${kind}`, operand[kind], where);
        excluded = (v) => typeof v === 'string' && (kind === 'prefix' ? v.startsWith(text) : v.endsWith(text));
      } else {
        throw new FilterPatternError(
          `${where}: "anything-but" with ${show(operand)} is not supported here (strings, numbers, a prefix or a suffix)`,
        );
      }
      // Matches a present value that is none of those (for an array: all of its elements are none of them).
      return (probe) => probe.present && leaves(probe.value).length > 0 && !leaves(probe.value).some(excluded);
    }
    default:
      throw new FilterPatternError(
        `${where}: unknown filter operator "${operator}" (this local filter implements exists, prefix, suffix, equals-ignore-case, numeric, anything-but)`,
      );
  }
}

type ObjectTest = (value: unknown) => boolean;

function compileObject(pattern: unknown, where: string): ObjectTest {
  if (!isObject(pattern))
    throw new FilterPatternError(`${where}: a filter pattern is a JSON object, got ${show(pattern)}`);
  const fields = Object.entries(pattern);
  if (fields.length === 0) throw new FilterPatternError(`${where}: an empty object matches nothing useful`);
  const tests = fields.map(([name, sub]): ((record: Record<string, unknown> | undefined) => boolean) => {
    const path = where === '$' ? name : `${where}.${name}`;
    if (name.startsWith('$')) throw new FilterPatternError(`${path}: "${name}" is not supported by this local filter`);
    const probeOf = (record: Record<string, unknown> | undefined): Probe =>
      record !== undefined && Object.prototype.hasOwnProperty.call(record, name)
        ? { present: true, value: record[name] }
        : { present: false };
    if (Array.isArray(sub)) {
      if (sub.length === 0) throw new FilterPatternError(`${path}: an empty list of allowed values matches nothing`);
      const matchers = sub.map((m, i) => compileMatcher(m, `${path}[${i}]`));
      return (record) => {
        const probe = probeOf(record);
        return matchers.some((m) => m(probe));
      };
    }
    if (isObject(sub)) {
      const nested = compileObject(sub, path);
      return (record) => {
        const probe = probeOf(record);
        if (!probe.present) return nested(undefined);
        // An array of objects: one element must match the whole sub-pattern.
        if (Array.isArray(probe.value)) return probe.value.some((element) => nested(element));
        return nested(probe.value);
      };
    }
    throw new FilterPatternError(`${path}: a leaf must be a list of allowed values, got ${show(sub)}`);
  });
  return (value) => {
    const record = isObject(value) ? value : undefined;
    return tests.every((test) => test(record));
  };
}

/**
 * Compiles a pattern (or several, any of which may match) into a predicate on records. Throws a
 * FilterPatternError naming the path of anything malformed or not implemented.
 */
export function compileFilter(patterns: FilterPattern | readonly FilterPattern[]): (record: unknown) => boolean {
  const list = Array.isArray(patterns) ? (patterns as readonly FilterPattern[]) : [patterns as FilterPattern];
  if (list.length === 0) return () => true;
  const tests = list.map((pattern, i) => compileObject(pattern, list.length === 1 ? '$' : `$${i}`));
  return (record) => tests.some((test) => test(record));
}

/** Whether one record passes a pattern (compiles it each time: for one-off checks and tests). */
export function matchesFilter(pattern: FilterPattern | readonly FilterPattern[], record: unknown): boolean {
  return compileFilter(pattern)(record);
}
