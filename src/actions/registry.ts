import type { Stage } from '../store/store.js';
import { CallwrightError, type FieldIssue } from '../errors.js';
import { check, validationError } from '../util/validate.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import type { AnyActionType } from './action-type.js';

/** One registry of action types, keyed by type name. Later issues call `register` with their own files. */
export class ActionRegistry {
  private readonly types = new Map<string, AnyActionType>();

  register(type: AnyActionType): this {
    if (this.types.has(type.name)) throw new Error(`action type ${type.name} is already registered`);
    this.types.set(type.name, type);
    return this;
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  get(name: string): AnyActionType {
    const t = this.types.get(name);
    if (!t) {
      throw new CallwrightError('VALIDATION', `type: unknown action type ${JSON.stringify(name)}`, [
        { field: 'type', value: name, expected: `one of ${[...this.types.keys()].join(', ')}` },
      ]);
    }
    return t;
  }

  list(): AnyActionType[] {
    return [...this.types.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Validates a definition's config for its type: the schema (defaults filled in), template syntax
   * in every text field, then the type's own checks. Throws VALIDATION naming each bad field.
   */
  validateConfig(typeName: string, config: unknown, templates: TemplateRenderer): Record<string, unknown> {
    const type = this.get(typeName);
    const value = structuredClone(config ?? {}) as Record<string, unknown>;
    let issues: FieldIssue[] = check(type.configSchema, value, 'config');
    if (!issues.length) issues = templates.checkDeep(value, 'config');
    if (!issues.length && type.validate) issues = type.validate(value);
    if (issues.length) {
      throw validationError(issues);
    }
    return value;
  }

  /** Refuses attaching a type at a stage it does not support. */
  assertStage(typeName: string, stage: Stage): void {
    const type = this.get(typeName);
    if (!type.stages.includes(stage)) {
      throw new CallwrightError(
        'VALIDATION',
        `stage: action type ${typeName} cannot run at stage ${JSON.stringify(stage)}`,
        [{ field: 'stage', value: stage, expected: `one of ${type.stages.join(', ')}` }],
      );
    }
  }
}
