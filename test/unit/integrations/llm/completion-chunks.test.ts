import { describe, expect, it } from 'vitest';
import {
  CompletionChunks,
  type ChatStreamEvent,
} from '../../../../src/integrations/llm/completion-chunks.js';

const delta = (d: Record<string, unknown>, finish: string | null = null): string =>
  JSON.stringify({
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: d, finish_reason: finish }],
  });

function read(frames: string[]): ChatStreamEvent[] {
  const chunks = new CompletionChunks('llm.test');
  return [...frames.flatMap((f) => chunks.frame(f)), ...chunks.end()];
}

describe('CompletionChunks', () => {
  it('passes content on frame by frame and ends with done', () => {
    const chunks = new CompletionChunks('llm.test');
    expect(chunks.frame(delta({ role: 'assistant', content: '' }))).toEqual([]);
    expect(chunks.frame(delta({ content: 'Hel' }))).toEqual([{ type: 'content', text: 'Hel' }]);
    expect(chunks.frame(delta({ content: 'lo' }))).toEqual([{ type: 'content', text: 'lo' }]);
    expect(chunks.frame(delta({}, 'stop'))).toEqual([]);
    expect(chunks.frame('[DONE]')).toEqual([]);
    expect(chunks.end()).toEqual([{ type: 'done', finishReason: 'stop' }]);
  });

  it('passes tool calls on at finish_reason, in index order, whatever order their pieces came in', () => {
    const events = read([
      delta({
        tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '' } }],
      }),
      delta({
        tool_calls: [
          { index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '{"x"' } },
        ],
      }),
      delta({ tool_calls: [{ index: 1, function: { arguments: '{"y":2}' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      delta({}, 'tool_calls'),
      '[DONE]',
    ]);
    expect(events).toEqual([
      { type: 'tool-call', call: { id: 'call_a', name: 'a', arguments: '{"x":1}' } },
      { type: 'tool-call', call: { id: 'call_b', name: 'b', arguments: '{"y":2}' } },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
  });

  it('starts a new call on a new name when the server sends neither index nor id', () => {
    const events = read([
      delta({ tool_calls: [{ function: { name: 'a', arguments: '{"x":' } }] }),
      delta({ tool_calls: [{ function: { arguments: '1}' } }] }),
      delta({ tool_calls: [{ function: { name: 'b' } }] }),
      '[DONE]',
    ]);
    expect(events.map((e) => (e.type === 'tool-call' ? [e.call.name, e.call.arguments] : e.type))).toEqual([
      ['a', '{"x":1}'],
      ['b', '{}'],
      'done',
    ]);
    const [a] = events;
    expect(a?.type === 'tool-call' && a.call.id).toMatch(/^call_0_/);
  });

  it('ignores frames after [DONE]', () => {
    const chunks = new CompletionChunks('llm.test');
    chunks.frame(delta({ content: 'a' }, 'stop'));
    chunks.frame('[DONE]');
    expect(chunks.frame(delta({ content: 'late' }))).toEqual([]);
  });

  it('fails with LLM_BAD_RESPONSE for a tool call that never got a name', () => {
    expect(() =>
      read([delta({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }, 'tool_calls')]),
    ).toThrow('tool call 0 in the LLM stream has no function name');
  });

  it('fails with LLM_BAD_RESPONSE when the body ends with neither [DONE] nor a finish_reason', () => {
    expect(() => read([delta({ content: 'a' })])).toThrow(
      'LLM stream from llm.test ended without [DONE] or a finish_reason after 1 frames',
    );
  });
});
