import { describe, expect, it } from 'vitest';
import { compileJsonPath, selectJsonPath } from '../../../src/integrations/http/json-path.js';

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

  it.each(['order.status', '$..sku', '$.items[?(@.x)]', '$.a[1:2]', '$.'])(
    'refuses %s with a reason',
    (path) => {
      expect(() => compileJsonPath(path)).toThrow(/\$/);
    },
  );
});
