import { Type, type TObject, type TSchema } from '@sinclair/typebox';

/**
 * Arguments an operator declares for an action the agent calls as a tool (an HTTP request that needs
 * the order number the caller said): `parameters: { order_number: { type: string, description: …,
 * required: true } }`. They become the tool's JSON schema; the values are `args.<name>` in the
 * action's templates.
 */
export const ToolParametersSchema = Type.Record(
  Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$' }),
  Type.Object(
    {
      type: Type.Union(
        ['string', 'integer', 'number', 'boolean'].map((t) => Type.Literal(t)),
        { default: 'string' },
      ),
      description: Type.Optional(Type.String({ maxLength: 500 })),
      enum: Type.Optional(
        Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1, maxItems: 100 }),
      ),
      pattern: Type.Optional(
        Type.String({ maxLength: 500, description: 'Regular expression a string must match' }),
      ),
      required: Type.Optional(Type.Boolean({ description: 'Default true' })),
    },
    { additionalProperties: false },
  ),
  {
    maxProperties: 30,
    description: 'Arguments the agent gives when it calls this action as a tool (args.<name>)',
  },
);

export type ToolParameters = Record<
  string,
  {
    type?: string;
    description?: string;
    enum?: Array<string | number>;
    pattern?: string;
    required?: boolean;
  }
>;

/** The argument schema of declared parameters (undefined when none are declared). */
export function parametersSchema(parameters: ToolParameters | undefined): TObject | undefined {
  if (!parameters || !Object.keys(parameters).length) return undefined;
  const props: Record<string, TSchema> = {};
  for (const [name, p] of Object.entries(parameters)) {
    const opts = {
      ...(p.description ? { description: p.description } : {}),
      ...(p.pattern && (p.type ?? 'string') === 'string' ? { pattern: p.pattern } : {}),
    };
    let schema: TSchema;
    if (p.enum)
      schema = Type.Union(
        p.enum.map((v) => Type.Literal(v)),
        opts,
      );
    else if (p.type === 'integer') schema = Type.Integer(opts);
    else if (p.type === 'number') schema = Type.Number(opts);
    else if (p.type === 'boolean') schema = Type.Boolean(opts);
    else schema = Type.String({ maxLength: 2000, ...opts });
    props[name] = p.required === false ? Type.Optional(schema) : schema;
  }
  return Type.Object(props, { additionalProperties: false });
}
