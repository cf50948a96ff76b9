import { Type, type Static } from '@sinclair/typebox';
import type { ActionDefinitionRecord, Store } from '../store/store.js';
import { notFound } from '../errors.js';
import { assertValid } from '../util/validate.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import type { ActionRegistry } from './registry.js';

export const DefinitionName = Type.String({
  pattern: '^[a-z][a-z0-9_-]{0,63}$',
  description: 'Unique name, lower case (letters, digits, _ and -); also the tool name agents call',
});

export const DefinitionInput = Type.Object(
  {
    name: DefinitionName,
    type: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DefinitionInput = Static<typeof DefinitionInput>;

export const DefinitionPatch = Type.Partial(DefinitionInput, { additionalProperties: false });
export type DefinitionPatch = Static<typeof DefinitionPatch>;

/** Create, update and validate definitions: the type's schema on every save, field-named errors. */
export class DefinitionService {
  constructor(
    private readonly store: Store,
    private readonly registry: ActionRegistry,
    private readonly templates: TemplateRenderer,
  ) {}

  /** Validates and returns the row fields (config with defaults filled in). */
  validate(input: unknown): Required<DefinitionInput> {
    const body = assertValid(DefinitionInput, structuredClone(input ?? {}), '');
    const config = this.registry.validateConfig(body.type, body.config ?? {}, this.templates);
    return {
      name: body.name,
      type: body.type,
      description: body.description ?? '',
      config,
      enabled: body.enabled ?? true,
    };
  }

  async create(input: unknown): Promise<ActionDefinitionRecord> {
    return this.store.actions.create(this.validate(input));
  }

  /**
   * Validates the merged definition and writes it, in one transaction with the read it merges into
   * (a change of type is checked against the stages the definition is attached at).
   */
  update(id: string, patch: unknown): Promise<ActionDefinitionRecord> {
    return this.store.transaction(async () => {
      const current = await this.store.actions.require(id);
      const body = assertValid(DefinitionPatch, structuredClone(patch ?? {}), '');
      const merged = this.validate({
        name: body.name ?? current.name,
        type: body.type ?? current.type,
        description: body.description ?? current.description,
        config: body.config ?? current.config,
        enabled: body.enabled ?? current.enabled,
      });
      if (merged.type !== current.type) await this.assertAttachableEverywhere(id, merged.type);
      return this.store.actions.update(id, merged);
    });
  }

  setEnabled(id: string, enabled: boolean): Promise<ActionDefinitionRecord> {
    return this.store.actions.update(id, { enabled });
  }

  /** Finds by id or name. */
  async resolve(idOrName: string): Promise<ActionDefinitionRecord> {
    const found =
      (await this.store.actions.get(idOrName)) ?? (await this.store.actions.findBy('name', idOrName));
    if (!found) throw notFound('action definition', idOrName);
    return found;
  }

  private async assertAttachableEverywhere(id: string, type: string): Promise<void> {
    const stages = await this.store.sql.all<{ stage: 'before' | 'during' | 'after' }>(
      'SELECT DISTINCT stage FROM agent_actions WHERE action_id = ?',
      [id],
    );
    for (const { stage } of stages) this.registry.assertStage(type, stage);
  }
}
