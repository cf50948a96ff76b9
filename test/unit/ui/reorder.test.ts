import { describe, expect, it } from 'vitest';
import { moved } from '../../../src/ui/pages/agent/reorder.js';

describe('moved: the order a drop or a move button asks for', () => {
  it.each([
    ['drop onto a later one: lands after it', ['a', 'b', 'c'], 'a', 2, ['b', 'c', 'a']],
    ['drop onto an earlier one: lands before it', ['a', 'b', 'c'], 'c', 0, ['c', 'a', 'b']],
    ['two swap either way', ['a', 'b'], 'b', 0, ['b', 'a']],
    ['move down', ['a', 'b', 'c'], 'a', 1, ['b', 'a', 'c']],
    ['move up', ['a', 'b', 'c'], 'c', 1, ['a', 'c', 'b']],
    ['onto itself: unchanged', ['a', 'b', 'c'], 'b', 1, ['a', 'b', 'c']],
    ['past the end: clamped', ['a', 'b'], 'a', 9, ['b', 'a']],
    ['before the start: clamped', ['a', 'b'], 'b', -1, ['b', 'a']],
  ])('%s', (_name, ids, id, to, expected) => {
    expect(moved(ids, id, to)).toEqual(expected);
  });
});
