/**
 * The README's LLM agent example is a real agent file: it imports as written (agent, two actions, two
 * tool attachments) and the model sees both actions as tools.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importAgent } from '../../../src/agent/agent-import.js';
import { PROJECT_ROOT } from '../../../src/config/load.js';
import { callsFixture } from '../calls/calls-fixture.js';

let fx: Awaited<ReturnType<typeof callsFixture>> | undefined;
afterEach(async () => {
  await fx?.cleanup();
});

it('the README example imports as written, in under ten lines of YAML, with both actions as tools', async () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- readme-llm-agent -->\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  expect(block!.trim().split('\n').length).toBeLessThan(10);
  fx = await callsFixture();
  const report = await importAgent(fx.store, fx.engine, parse(block!));
  expect(report.agent).toMatchObject({ name: 'shop', outcome: 'created' });
  const tools = (await fx.engine.session({ agentId: report.agent.id, dryRun: true })).tools();
  expect(tools.map((t) => t.name)).toEqual(['order_status', 'sales']);
  expect(tools[0]?.parameters).toMatchObject({
    properties: { order: { type: 'string' } },
    required: ['order'],
  });
});
