/**
 * The request checks of OpenAI's chat-completions endpoint that a client or an agent can get wrong,
 * with OpenAI's own error wording (including its "preceeding"), so a history the real API would refuse
 * is refused here too.
 */

export interface OpenAiErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

type Json = Record<string, unknown>;

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool'];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const invalid = (
  message: string,
  param: string | null = null,
  code: string | null = null,
): OpenAiErrorBody => ({
  message,
  type: 'invalid_request_error',
  param,
  code,
});

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The first problem of a chat-completions body, or undefined when OpenAI would accept it. */
export function validateChatBody(body: Json, requireModel: boolean): OpenAiErrorBody | undefined {
  if (requireModel && (typeof body.model !== 'string' || body.model === '')) {
    return invalid('you must provide a model parameter');
  }
  if (body.messages === undefined) {
    return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  if (!Array.isArray(body.messages)) {
    return invalid(
      `Invalid type for 'messages': expected an array, but got ${typeName(body.messages)} instead.`,
      'messages',
      'invalid_type',
    );
  }
  if (body.messages.length === 0) {
    return invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  if (body.stream_options !== undefined && body.stream !== true) {
    return invalid(
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      'stream_options',
    );
  }
  return validateTools(body.tools) ?? validateMessages(body.messages);
}

function validateTools(tools: unknown): OpenAiErrorBody | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) {
    return invalid(
      `Invalid type for 'tools': expected an array, but got ${typeName(tools)} instead.`,
      'tools',
    );
  }
  for (const [i, tool] of tools.entries()) {
    const t = (tool ?? {}) as Json;
    const fn = (t.function ?? {}) as Json;
    if (t.type !== 'function') {
      return invalid(
        `Invalid value: '${String(t.type)}'. Supported values are: 'function'.`,
        `tools[${i}].type`,
      );
    }
    if (typeof fn.name !== 'string' || !TOOL_NAME.test(fn.name)) {
      return invalid(
        `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${i}].function.name`,
        'invalid_value',
      );
    }
  }
  return undefined;
}

/**
 * Roles, field types, and the pairing of tool calls with their answers: every `tool` message answers a
 * call of the assistant message before it (other tool messages may sit between), and every call of an
 * assistant message is answered before the next non-tool message.
 */
function validateMessages(messages: unknown[]): OpenAiErrorBody | undefined {
  let pending: { from: number; ids: string[] } | undefined;
  const unanswered = (p: { from: number; ids: string[] }): OpenAiErrorBody =>
    invalid(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${p.ids.join(', ')}`,
      `messages.[${p.from}].role`,
    );
  for (const [i, raw] of messages.entries()) {
    const m = (raw ?? {}) as Json;
    if (typeof m.role !== 'string' || !ROLES.includes(m.role)) {
      return invalid(
        `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    const problem = validateFields(m, i);
    if (problem) return problem;
    if (m.role === 'tool') {
      const at = pending ? pending.ids.indexOf(m.tool_call_id as string) : -1;
      if (!pending || at < 0) {
        return invalid(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${i}].role`,
        );
      }
      pending.ids.splice(at, 1);
      continue;
    }
    if (pending && pending.ids.length > 0) return unanswered(pending);
    const calls = m.role === 'assistant' && Array.isArray(m.tool_calls) ? (m.tool_calls as Json[]) : [];
    pending = calls.length > 0 ? { from: i, ids: calls.map((c) => c.id as string) } : undefined;
  }
  return pending && pending.ids.length > 0 ? unanswered(pending) : undefined;
}

function validateFields(m: Json, i: number): OpenAiErrorBody | undefined {
  const contentOk =
    typeof m.content === 'string' ||
    Array.isArray(m.content) ||
    (m.role === 'assistant' && (m.content === null || m.content === undefined));
  if (!contentOk) {
    return m.content === undefined
      ? invalid(
          `Missing required parameter: 'messages[${i}].content'.`,
          `messages[${i}].content`,
          'missing_required_parameter',
        )
      : invalid(
          `Invalid type for 'messages[${i}].content': expected one of a string or array of objects, but got ${typeName(m.content)} instead.`,
          `messages[${i}].content`,
          'invalid_type',
        );
  }
  if (m.role === 'tool' && typeof m.tool_call_id !== 'string') {
    return invalid(
      `Missing required parameter: 'messages[${i}].tool_call_id'.`,
      `messages[${i}].tool_call_id`,
      'missing_required_parameter',
    );
  }
  if (m.role !== 'assistant' || m.tool_calls === undefined) return undefined;
  if (!Array.isArray(m.tool_calls)) {
    return invalid(
      `Invalid type for 'messages[${i}].tool_calls': expected an array, but got ${typeName(m.tool_calls)} instead.`,
      `messages[${i}].tool_calls`,
      'invalid_type',
    );
  }
  for (const [j, raw] of m.tool_calls.entries()) {
    const call = (raw ?? {}) as Json;
    const fn = (call.function ?? {}) as Json;
    const at = `messages[${i}].tool_calls[${j}]`;
    if (typeof call.id !== 'string') {
      return invalid(`Missing required parameter: '${at}.id'.`, `${at}.id`, 'missing_required_parameter');
    }
    if (call.type !== 'function') {
      return invalid(
        `Invalid value: '${String(call.type)}'. Supported values are: 'function'.`,
        `${at}.type`,
      );
    }
    if (typeof fn.name !== 'string') {
      return invalid(
        `Missing required parameter: '${at}.function.name'.`,
        `${at}.function.name`,
        'missing_required_parameter',
      );
    }
    if (typeof fn.arguments !== 'string') {
      return invalid(
        `Invalid type for '${at}.function.arguments': expected a string, but got ${typeName(fn.arguments)} instead.`,
        `${at}.function.arguments`,
        'invalid_type',
      );
    }
  }
  return undefined;
}
