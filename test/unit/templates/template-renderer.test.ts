import { describe, expect, it } from 'vitest';
import { TemplateRenderer } from '../../../src/templates/template-renderer.js';
import type { CallwrightError } from '../../../src/errors.js';

const t = new TemplateRenderer();
const scope = {
  call: { from: '+14155550100' },
  contact: { first_name: 'Ada', tags: ['vip'] },
  collected: {},
  data: {},
  actions: {},
};

function error(fn: () => unknown): CallwrightError {
  try {
    fn();
  } catch (err) {
    return err as CallwrightError;
  }
  throw new Error('expected an error');
}

describe('template renderer', () => {
  it('renders namespaces and filters', () => {
    expect(t.render('Hi {{ contact.first_name | upcase }} ({{ contact.tags | join: "," }})', scope)).toBe(
      'Hi ADA (vip)',
    );
  });

  it('names the missing variable and the field', () => {
    const e = error(() =>
      t.render('{{ collected.slot }} {{ actions.book.time }} {{ contact.first_name }}', scope, 'config.body'),
    );
    expect(e.code).toBe('TEMPLATE');
    expect(e.message).toBe('config.body: undefined variable "collected.slot"');
    expect(e.issues).toEqual([expect.objectContaining({ field: 'config.body', value: 'collected.slot' })]);
    expect(error(() => t.render('{{ actions.book.time }}', scope)).message).toContain('"actions.book.time"');
  });

  it('accepts a missing variable with a default or inside a condition', () => {
    expect(t.render('{{ collected.slot | default: "soon" }}', scope)).toBe('soon');
    expect(t.render('{% if collected.slot %}at {{ collected.slot }}{% else %}later{% endif %}', scope)).toBe(
      'later',
    );
  });

  it('refuses unknown filters and bad syntax with the field named', () => {
    expect(error(() => t.render('{{ contact.first_name | shout }}', scope, 'config.text')).message).toMatch(
      /^config\.text: undefined filter: shout/,
    );
    expect(t.checkDeep({ a: 'ok {{ x }}', b: ['{% if %}'] })).toEqual([
      expect.objectContaining({ field: 'config.b.0' }),
    ]);
  });

  it('renders every string of a config, skipping raw fields', () => {
    expect(
      t.renderDeep(
        { a: '{{ call.from }}', b: ['{{ contact.first_name }}', 3], raw: '{{ later }}' },
        scope,
        'config',
        new Set(['config.raw']),
      ),
    ).toEqual({
      a: '+14155550100',
      b: ['Ada', 3],
      raw: '{{ later }}',
    });
  });
});
