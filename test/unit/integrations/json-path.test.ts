import { describe, expect, it } from 'vitest';
import { compileJsonPath, JsonPathError, selectJsonPath } from '../../../src/integrations/http/json-path.js';

const doc = {
  order: { status: 'shipped', 'tracking-no': 'Z1', items: [{ sku: 'a' }, { sku: 'b' }] },
  flag: false,
};

describe('JSONPath subset', () => {
  it.each([
    ['$.order.status', 'shipped'],
    ["$['order']['tracking-no']", 'Z1'],
    ['$.order.items[0].sku', 'a'],
    ['$.order.items[-1].sku', 'b'],
    ['$.order.items[*].sku', ['a', 'b']],
    ['$.order.items.*.sku', ['a', 'b']],
    ['$.flag', false],
    ['$.missing.path', undefined],
    ['$.order.items[5]', undefined],
    ['$', doc],
  ])('%s', (path, expected) => {
    expect(selectJsonPath(path, doc)).toEqual(expected);
  });

  // '$..sku', '$.items[?(@.x)]' and '$.a[1:2]' were refused by the hand-written subset; RFC 9535 has them.
  it.each([
    'order.status',
    '$.',
    "$.items[?@.status = 'open']",
    '$.items[0:2',
    "$['unclosed",
    '$.items[?foo(@)]',
  ])('refuses %s with a reason naming the path', (path) => {
    expect(() => compileJsonPath(path)).toThrow(JsonPathError);
    expect(() => compileJsonPath(path)).toThrow(path);
  });
});

describe('RFC 9535 filters, slices and descent in response mappings', () => {
  const tickets = {
    items: [
      { id: 't1', status: 'open', priority: 3 },
      { id: 't2', status: 'closed', priority: 1 },
      { id: 't3', status: 'open', priority: 1 },
    ],
    meta: { next: null },
  };

  it.each([
    ["$.items[?@.status == 'open'].id", ['t1', 't3']],
    ["$.items[?@.status == 'open' && @.priority < 2].id", ['t3']],
    ['$.items[?@.priority > 5].id', []],
    ['$.items[0:2].id', ['t1', 't2']],
    ['$.items[-1:].id', ['t3']],
    ['$.items[::2].id', ['t1', 't3']],
    ['$..status', ['open', 'closed', 'open']],
    ['$.items[?(@.priority == 1)].id', ['t2', 't3']],
    ["$.items[?match(@.id, 't[12]')].id", ['t1', 't2']],
    ['$.meta.next', null],
  ])('%s', (path, expected) => {
    expect(selectJsonPath(path, tickets)).toEqual(expected);
  });

  it('gives one value for a singular query and an array for any other, whatever the data', () => {
    expect(compileJsonPath('$.items[0].id').multiple).toBe(false);
    expect(compileJsonPath("$['items'][-1]").multiple).toBe(false);
    expect(compileJsonPath('$.items[0:1].id').multiple).toBe(true);
    expect(selectJsonPath('$.items[0:1].id', tickets)).toEqual(['t1']);
  });
});
