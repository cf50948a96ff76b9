import type { TObject } from '@sinclair/typebox';
import type { ActionDefinitionRecord } from '../store/store.js';
import type { AnyActionType } from './action-type.js';

/** What an AI agent sees for one callable action (OpenAI/JSON-schema function-calling shape). */
export interface ToolDescription {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** Tool names allowed by common function-calling APIs: `^[a-zA-Z0-9_-]{1,64}$`. */
export function toolName(definitionName: string): string {
  const name = definitionName
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return name || 'action';
}

/** The argument schema of a definition, or undefined when it takes none. */
export function argumentSchema(type: AnyActionType, config: Record<string, unknown>): TObject | undefined {
  return type.argumentSchema?.(config as never);
}

/** Derives the tool an agent can call from a definition: name, purpose, JSON-schema arguments. */
export function describeTool(definition: ActionDefinitionRecord, type: AnyActionType): ToolDescription {
  const schema = argumentSchema(type, definition.config);
  // TypeBox schemas carry symbol keys; a JSON round trip leaves plain JSON Schema.
  const parameters = schema
    ? (JSON.parse(JSON.stringify(schema)) as Record<string, unknown>)
    : { type: 'object', properties: {}, additionalProperties: false };
  return {
    name: toolName(definition.name),
    description: (definition.description || type.description).slice(0, 1024),
    parameters,
  };
}
