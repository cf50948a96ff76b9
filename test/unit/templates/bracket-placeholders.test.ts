import { describe, expect, it } from 'vitest';
import { convertBrackets } from '../../../src/templates/bracket-placeholders.js';

describe('bracket placeholders', () => {
  it('converts the old style to Liquid with namespaces and defaults', () => {
    expect(convertBrackets('Hi [first_name|there], your order [order_id] from [from] ([data.ref])')).toBe(
      'Hi {{ contact.first_name | default: "there" }}, your order {{ collected.order_id }} from {{ call.from }} ({{ data.ref }})',
    );
  });
});
