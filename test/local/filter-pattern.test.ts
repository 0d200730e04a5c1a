/** Lambda event filtering (local/runtime/filter-pattern.ts): the pattern subset, table by table. */
import { STREAM_FILTER_PATTERN } from '../../lambda/contract';
import {
  compileFilter,
  FilterPatternError,
  matchesFilter,
  type FilterPattern,
} from '../../local/runtime/filter-pattern';

type Row = [name: string, pattern: FilterPattern, record: unknown, matches: boolean];

const streamRecord = (eventName: string, timestamp: string) => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: { Keys: { tracking_id: { S: 'T-1' }, timestamp: { N: timestamp } }, SequenceNumber: '100' },
});

describe('filter patterns', () => {
  const contract: Row[] = [
    ['INSERT of a history item', STREAM_FILTER_PATTERN, streamRecord('INSERT', '1700000000000'), true],
    ['INSERT of the state record (timestamp 0)', STREAM_FILTER_PATTERN, streamRecord('INSERT', '0'), false],
    ['MODIFY of a history item', STREAM_FILTER_PATTERN, streamRecord('MODIFY', '1700000000000'), false],
    ['MODIFY of the state record', STREAM_FILTER_PATTERN, streamRecord('MODIFY', '0'), false],
    ['REMOVE', STREAM_FILTER_PATTERN, streamRecord('REMOVE', '1700000000000'), false],
    ['no Keys at all', STREAM_FILTER_PATTERN, { eventName: 'INSERT', dynamodb: {} }, false],
    [
      'timestamp as a string attribute, not N',
      STREAM_FILTER_PATTERN,
      { eventName: 'INSERT', dynamodb: { Keys: { timestamp: { S: '5' } } } },
      false,
    ],
  ];

  const literals: Row[] = [
    ['a string, exactly', { a: ['x'] }, { a: 'x' }, true],
    ['a string is case-sensitive', { a: ['x'] }, { a: 'X' }, false],
    ['one of several', { a: ['x', 'y'] }, { a: 'y' }, true],
    ['none of several', { a: ['x', 'y'] }, { a: 'z' }, false],
    ['a number, numerically', { a: [5] }, { a: 5.0 }, true],
    ['a number is not its string', { a: [5] }, { a: '5' }, false],
    ['a string is not its number', { a: ['5'] }, { a: 5 }, false],
    ['a boolean', { a: [true] }, { a: true }, true],
    ['a boolean is not its string', { a: [true] }, { a: 'true' }, false],
    ['null matches a null value', { a: [null] }, { a: null }, true],
    ['null does not match a missing field', { a: [null] }, {}, false],
    ['the empty string', { a: [''] }, { a: '' }, true],
    ['an array field matches when one element does', { a: ['x'] }, { a: ['w', 'x'] }, true],
    ['an array field with no element that matches', { a: ['x'] }, { a: ['w', 'y'] }, false],
    ['a missing field', { a: ['x'] }, { b: 'x' }, false],
    ['a value where an object is expected', { a: { b: ['x'] } }, { a: 'x' }, false],
    ['every field must match', { a: ['x'], b: ['y'] }, { a: 'x', b: 'z' }, false],
    ['every field matches', { a: ['x'], b: ['y'] }, { a: 'x', b: 'y', c: 'ignored' }, true],
    ['nested objects', { a: { b: { c: ['x'] } } }, { a: { b: { c: 'x' } } }, true],
    ['nested, wrong leaf', { a: { b: { c: ['x'] } } }, { a: { b: { c: 'y' } } }, false],
    ['an array of objects: one element matches', { a: { b: ['x'] } }, { a: [{ b: 'w' }, { b: 'x' }] }, true],
    [
      'an array of objects: the fields must come from one element',
      { a: { b: ['x'], c: ['y'] } },
      {
        a: [
          { b: 'x', c: 'n' },
          { b: 'n', c: 'y' },
        ],
      },
      false,
    ],
  ];

  const operators: Row[] = [
    ['anything-but a list: another value', { a: [{ 'anything-but': ['x', 'y'] }] }, { a: 'z' }, true],
    ['anything-but a list: a listed value', { a: [{ 'anything-but': ['x', 'y'] }] }, { a: 'y' }, false],
    ['anything-but one value', { a: [{ 'anything-but': 'x' }] }, { a: 'x' }, false],
    ['anything-but numbers', { a: [{ 'anything-but': [0] }] }, { a: 1 }, true],
    ['anything-but numbers: the number', { a: [{ 'anything-but': [0] }] }, { a: 0 }, false],
    ['anything-but a number, against its string', { a: [{ 'anything-but': [0] }] }, { a: '0' }, true],
    ['anything-but needs the field', { a: [{ 'anything-but': ['x'] }] }, {}, false],
    ['anything-but on an array: no element excluded', { a: [{ 'anything-but': ['x'] }] }, { a: ['y', 'z'] }, true],
    ['anything-but on an array: one element excluded', { a: [{ 'anything-but': ['x'] }] }, { a: ['y', 'x'] }, false],
    ['anything-but a prefix', { a: [{ 'anything-but': { prefix: 'in' } }] }, { a: 'out' }, true],
    ['anything-but a prefix: has it', { a: [{ 'anything-but': { prefix: 'in' } }] }, { a: 'inner' }, false],
    ['anything-but a suffix', { a: [{ 'anything-but': { suffix: '.png' } }] }, { a: 'x.jpg' }, true],
    ['prefix', { a: [{ prefix: 'in_' }] }, { a: 'in_transit' }, true],
    ['prefix: no', { a: [{ prefix: 'in_' }] }, { a: 'delivered' }, false],
    ['prefix on a number', { a: [{ prefix: '1' }] }, { a: 12 }, false],
    ['prefix needs the field', { a: [{ prefix: '' }] }, {}, false],
    ['suffix', { a: [{ suffix: '#3' }] }, { a: 'in_transit#3' }, true],
    ['equals-ignore-case', { a: [{ 'equals-ignore-case': 'insert' }] }, { a: 'INSERT' }, true],
    ['exists: true, present', { a: [{ exists: true }] }, { a: 'x' }, true],
    ['exists: true, present as null', { a: [{ exists: true }] }, { a: null }, true],
    ['exists: true, missing', { a: [{ exists: true }] }, {}, false],
    ['exists: false, missing', { a: [{ exists: false }] }, {}, true],
    ['exists: false, present', { a: [{ exists: false }] }, { a: 'x' }, false],
    ['exists: false under a missing parent', { a: { b: [{ exists: false }] } }, {}, true],
    ['exists: true on an object (not a leaf)', { a: [{ exists: true }] }, { a: { b: 1 } }, false],
    ['numeric range', { a: [{ numeric: ['>', 0, '<=', 5] }] }, { a: 5 }, true],
    ['numeric range: outside', { a: [{ numeric: ['>', 0, '<=', 5] }] }, { a: 0 }, false],
    ['numeric equals', { a: [{ numeric: ['=', 1.5] }] }, { a: 1.5 }, true],
    ['numeric on a string', { a: [{ numeric: ['>=', 0] }] }, { a: '3' }, false],
    ['a value or an operator', { a: ['x', { prefix: 'y' }] }, { a: 'yes' }, true],
  ];

  it.each([...contract, ...literals, ...operators])('%s', (_name, pattern, record, expected) => {
    expect(matchesFilter(pattern, record)).toBe(expected);
  });

  it('several patterns are alternatives (FilterCriteria with more than one filter)', () => {
    const accepts = compileFilter([{ a: ['x'] }, { b: ['y'] }]);
    expect(accepts({ a: 'x' })).toBe(true);
    expect(accepts({ b: 'y' })).toBe(true);
    expect(accepts({ a: 'y', b: 'x' })).toBe(false);
    expect(compileFilter([])({ anything: 1 })).toBe(true);
  });

  const refused: [name: string, pattern: unknown, message: string][] = [
    ['an unknown operator', { a: [{ wildcard: 'x*' }] }, 'a[0]: unknown filter operator "wildcard"'],
    ['an unknown operator, deep', { a: { b: [{ cidr: '10.0.0.0/8' }] } }, 'a.b[0]: unknown filter operator "cidr"'],
    ['$or', { $or: [{ a: ['x'] }, { b: ['y'] }] }, '$or: "$or" is not supported'],
    ['a bare value (not a list)', { a: 'x' }, 'a: a leaf must be a list of allowed values, got "x"'],
    ['an empty list', { a: [] }, 'a: an empty list of allowed values matches nothing'],
    ['two operators in one object', { a: [{ prefix: 'x', suffix: 'y' }] }, 'names exactly one operator'],
    ['exists with a string', { a: [{ exists: 'yes' }] }, '"exists" takes true or false'],
    ['prefix with a number', { a: [{ prefix: 1 }] }, '"prefix" takes a string'],
    ['anything-but with wildcard', { a: [{ 'anything-but': { wildcard: 'x' } }] }, 'is not supported here'],
    ['anything-but with an empty list', { a: [{ 'anything-but': [] }] }, '"anything-but" takes strings or numbers'],
    ['numeric with a bad operator', { a: [{ numeric: ['!=', 1] }] }, '"numeric" wants an operator'],
    ['numeric with an odd list', { a: [{ numeric: ['>', 1, '<'] }] }, '"numeric" takes [operator, number]'],
    ['a list in a list', { a: [['x']] }, 'is neither a value nor an operator'],
    ['not an object', ['x'], 'a filter pattern is a JSON object'],
    ['an empty pattern', {}, 'an empty object matches nothing useful'],
  ];

  it.each(refused)('refuses %s, naming where (never silently matches)', (_name, pattern, message) => {
    let thrown: unknown;
    try {
      compileFilter(pattern as FilterPattern);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FilterPatternError);
    expect((thrown as Error).message).toContain(message);
  });
});
