// Driven by cli_langchain.sh: LangChain's `@langchain/openai` (ChatOpenAI and the OpenAI
// completions LLM) against `atelier-cli serve` on a tiny random model, called as LangChain
// users call it (issue 20). Prints "ok   NAME" / "FAIL NAME: why" per check and exits 1 if any
// failed. Usage: node langchain_check.mjs BASE_URL MODEL_ID
import { ChatOpenAI, OpenAI } from '@langchain/openai';
import { AIMessageChunk, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';

const [baseURL, modelId] = process.argv.slice(2);
const configuration = { baseURL: baseURL + '/v1' };
// maxRetries 0: a refused request must show as a failure, not be retried into a pass.
const common = { model: modelId, apiKey: 'none', configuration, maxRetries: 0, timeout: 120000 };
const chat = (fields = {}) => new ChatOpenAI({ ...common, ...fields });
const completionsLlm = (fields = {}) => new OpenAI({ ...common, ...fields });

let failed = 0;
async function check(name, fn) {
    try {
        await fn();
        console.log(`ok   ${name}`);
    } catch (e) {
        failed = 1;
        console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    }
}
function assert(cond, why) { if (!cond) throw new Error(why); }
const seeds = (n) => Array.from({ length: n }, (_, i) => i + 1);
const show = (m) => JSON.stringify({ content: m.content, tool_calls: m.tool_calls, response_metadata: m.response_metadata, usage_metadata: m.usage_metadata });

// Joins a stream's chunks as LangChain users do (AIMessageChunk.concat).
async function streamed(model, input, options) {
    let all;
    let pieces = 0;
    for await (const chunk of await model.stream(input, options)) {
        assert(chunk instanceof AIMessageChunk, `a chunk is a ${chunk?.constructor?.name}`);
        all = all ? all.concat(chunk) : chunk;
        pieces++;
    }
    return { message: all, pieces };
}

const conversation = [new SystemMessage('You are terse.'), new HumanMessage('Name a colour.')];

await check('ChatOpenAI.invoke (system + human): text, finish_reason, usage_metadata from the usage', async () => {
    const m = await chat({ temperature: 0, maxTokens: 12 }).invoke(conversation);
    assert(typeof m.content === 'string', show(m));
    const finish = m.response_metadata.finish_reason;
    assert(finish === 'stop' || finish === 'length', `finish_reason ${finish}`);
    const u = m.usage_metadata;
    assert(u && u.input_tokens > 0 && u.output_tokens > 0 && u.output_tokens <= 12, show(m));
    assert(u.total_tokens === u.input_tokens + u.output_tokens, JSON.stringify(u));
    assert(typeof m.id === 'string' && m.id.length > 0, `id ${m.id}`);
    assert(m.response_metadata.model_name === modelId, `model_name ${m.response_metadata.model_name}`);
});

await check('ChatOpenAI.invoke: array content parts are the same prompt as the joined string', async () => {
    const model = chat({ temperature: 0, maxTokens: 8 });
    const parts = await model.invoke([
        new SystemMessage({ content: [{ type: 'text', text: 'You are terse.' }] }),
        new HumanMessage({ content: [{ type: 'text', text: 'Weather' }, { type: 'text', text: 'in Paris?' }] }),
    ]);
    const joined = await model.invoke([new SystemMessage('You are terse.'), new HumanMessage('Weather\nin Paris?')]);
    assert(parts.usage_metadata.input_tokens === joined.usage_metadata.input_tokens,
        `${parts.usage_metadata.input_tokens} vs ${joined.usage_metadata.input_tokens} prompt tokens`);
    assert(parts.content === joined.content, `greedy replies differ: ${JSON.stringify(parts.content)} vs ${JSON.stringify(joined.content)}`);
});

await check('ChatOpenAI.stream: chunks join to the invoke reply (temperature 0, and temperature 1 at one seed)', async () => {
    for (const [fields, options] of [[{ temperature: 0, maxTokens: 16 }, {}], [{ temperature: 1, maxTokens: 16 }, { seed: 7 }]]) {
        const model = chat(fields);
        const whole = await model.invoke(conversation, options);
        const { message, pieces } = await streamed(model, conversation, options);
        assert(pieces > 2, `only ${pieces} chunks`);
        assert(message.content === whole.content, `${JSON.stringify(fields)}: stream ${JSON.stringify(message.content)} vs invoke ${JSON.stringify(whole.content)}`);
        assert(message.response_metadata.finish_reason === whole.response_metadata.finish_reason,
            `finish ${message.response_metadata.finish_reason} vs ${whole.response_metadata.finish_reason}`);
        // streamUsage (on by default) asks for stream_options.include_usage: the joined message
        // has the server's counts, the same as invoke's.
        const u = message.usage_metadata, w = whole.usage_metadata;
        assert(u && u.input_tokens === w.input_tokens && u.output_tokens === w.output_tokens && u.total_tokens === w.total_tokens,
            `stream usage ${JSON.stringify(u)} vs invoke ${JSON.stringify(w)}`);
    }
});

await check('ChatOpenAI.streamEvents (the content-block protocol): the text and usage of invoke', async () => {
    const model = chat({ temperature: 0, maxTokens: 16 });
    const whole = await model.invoke(conversation);
    const stream = model.streamEvents(conversation);
    let text = '';
    for await (const delta of stream.text) text += delta;
    const message = await stream;
    assert(text === whole.content, `streamEvents text ${JSON.stringify(text)} vs invoke ${JSON.stringify(whole.content)}`);
    const blocks = message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    assert(blocks === whole.content, `content blocks ${JSON.stringify(message.content)}`);
    const u = message.usage_metadata, w = whole.usage_metadata;
    assert(u && u.input_tokens === w.input_tokens && u.output_tokens === w.output_tokens, `usage ${JSON.stringify(u)} vs ${JSON.stringify(w)}`);
    assert(message.response_metadata.finish_reason, `no finish reason: ${JSON.stringify(message.response_metadata)}`);
});

await check('thinking through modelKwargs (chat_template_kwargs): reasoning_content in additional_kwargs, streamed the same', async () => {
    const model = chat({ temperature: 1, maxTokens: 40, modelKwargs: { chat_template_kwargs: { thinking: true } } });
    const whole = await model.invoke('Think, then answer.', { seed: 2 });
    const reasoning = whole.additional_kwargs.reasoning_content;
    assert(typeof reasoning === 'string' && reasoning.length > 0, show(whole) + JSON.stringify(whole.additional_kwargs));
    // completion_tokens_details.reasoning_tokens: the tokens that began in the reasoning.
    const thought = whole.usage_metadata.output_token_details?.reasoning;
    assert(Number.isInteger(thought) && thought >= 1 && thought <= whole.usage_metadata.output_tokens, JSON.stringify(whole.usage_metadata));
    const { message } = await streamed(model, 'Think, then answer.', { seed: 2 });
    assert(message.additional_kwargs.reasoning_content === reasoning,
        `streamed ${JSON.stringify(message.additional_kwargs.reasoning_content)} vs ${JSON.stringify(reasoning)}`);
    assert(message.content === whole.content, 'streamed content differs');
    assert(message.usage_metadata.output_token_details?.reasoning === thought, `streamed usage ${JSON.stringify(message.usage_metadata)}`);
});

await check('ChatOpenAI.batch: one reply per input, each the reply invoke gives alone', async () => {
    const model = chat({ temperature: 0, maxTokens: 10 });
    const inputs = ['Hi', 'Name a city.', [new SystemMessage('Be brief.'), new HumanMessage('Count to three.')]];
    const replies = await model.batch(inputs);
    assert(replies.length === inputs.length, `${replies.length} replies`);
    for (let i = 0; i < inputs.length; i++) {
        const alone = await model.invoke(inputs[i]);
        assert(replies[i].content === alone.content, `input ${i}: batch ${JSON.stringify(replies[i].content)} vs alone ${JSON.stringify(alone.content)}`);
    }
});

await check('ChatOpenAI seed, maxTokens and stop: the same seed gives the same reply; maxTokens cuts with finish_reason length; a stop sequence ends the reply before it', async () => {
    const model = chat({ temperature: 1, maxTokens: 20 });
    const a = await model.invoke('Tell me a story.', { seed: 3 }), b = await model.invoke('Tell me a story.', { seed: 3 });
    assert(a.content === b.content, 'the same seed gave different replies');
    const c = await model.invoke('Tell me a story.', { seed: 4 });
    assert(c.content !== a.content, 'seeds 3 and 4 gave the same 20-token reply');
    const short = await chat({ temperature: 0, maxTokens: 3 }).invoke('Tell me a long story.');
    assert(short.usage_metadata.output_tokens === 3 && short.response_metadata.finish_reason === 'length', show(short));
    // A stop sequence taken from the greedy reply ends the same reply just before it.
    const greedy = chat({ temperature: 0, maxTokens: 30 });
    const full = (await greedy.invoke('Tell me a story.')).content;
    // (Two characters from the middle, none a U+FFFD that stands for bytes of a broken one.)
    const chars = [...full];
    const at = chars.findIndex((c, i) => i >= 6 && c !== '\uFFFD' && chars[i + 1] !== undefined && chars[i + 1] !== '\uFFFD');
    assert(at > 0, `no stop sequence to take from ${JSON.stringify(full)}`);
    const stop = chars[at] + chars[at + 1];
    const cut = await greedy.invoke('Tell me a story.', { stop: [stop] });
    assert(cut.content === full.slice(0, full.indexOf(stop)) && cut.response_metadata.finish_reason === 'stop',
        `stop ${JSON.stringify(stop)}: ${JSON.stringify(cut.content)} of ${JSON.stringify(full)}, ${cut.response_metadata.finish_reason}`);
});

await check('ChatOpenAI n: 2 generations per prompt (choice 1 is the reply at seed + 1); invoke takes the first', async () => {
    const model = chat({ temperature: 1, maxTokens: 12, n: 2 });
    const r = await model.generate([[new HumanMessage('Say something.')]], { seed: 5 });
    assert(r.generations.length === 1 && r.generations[0].length === 2, JSON.stringify(r.generations));
    const [a, b] = r.generations[0];
    assert(a.text !== b.text, `two choices the same: ${JSON.stringify(a.text)}`);
    const one = chat({ temperature: 1, maxTokens: 12 });
    assert((await one.invoke('Say something.', { seed: 5 })).content === a.text, 'choice 0 is not the reply at the seed');
    assert((await one.invoke('Say something.', { seed: 6 })).content === b.text, 'choice 1 is not the reply at seed + 1');
    assert((await model.invoke('Say something.', { seed: 5 })).content === a.text, 'invoke with n 2 did not take the first choice');
});

await check('ChatOpenAI logprobs/topLogprobs: per-token logprobs in response_metadata, also streamed', async () => {
    const model = chat({ temperature: 0, maxTokens: 6, logprobs: true, topLogprobs: 2 });
    const m = await model.invoke('Hi');
    const lp = m.response_metadata.logprobs?.content;
    assert(Array.isArray(lp) && lp.length > 0, show(m));
    for (const t of lp) {
        assert(t.logprob <= 0 && t.top_logprobs.length === 2, JSON.stringify(t));
        assert(t.token === t.top_logprobs[0].token, `greedy did not pick its top token: ${JSON.stringify(t)}`);
    }
    const tokens = [];
    for await (const chunk of await model.stream('Hi'))
        tokens.push(...(chunk.response_metadata?.logprobs?.content ?? []));
    assert(JSON.stringify(tokens) === JSON.stringify(lp), `stream ${JSON.stringify(tokens)} vs invoke ${JSON.stringify(lp)}`);
});

// The schema every structured-output mode is asked for.
const Person = z.object({
    name: z.string().describe('the name'),
    age: z.number().int(),
    member: z.boolean(),
    tags: z.array(z.enum(['a', 'b'])).optional(),
}).describe('A person');

await check('withStructuredOutput jsonSchema (the default here): replies that end satisfy the zod schema', async () => {
    let ended = 0;
    for (const seed of seeds(8)) {
        const model = chat({ temperature: 1, maxTokens: 300 }).withConfig({ seed });
        const structured = model.withStructuredOutput(Person, { name: 'person', includeRaw: true });
        let r;
        try {
            r = await structured.invoke('Describe a person.');
        } catch (e) {
            // The SDK's parse() refuses a reply cut by max_tokens (LengthFinishReasonError):
            // the constraint keeps what was generated schema-valid, not short.
            if (/length limit/i.test(String(e))) continue;
            throw e;
        }
        ended++;
        assert(r.parsed !== null, `not parsed: ${show(r.raw)}`);
        const ok = Person.safeParse(r.parsed);
        assert(ok.success, `${JSON.stringify(r.parsed)}: ${ok.error}`);
    }
    assert(ended >= 4, `only ${ended} of 8 replies ended`);
    // The default method for a model not named gpt-3/gpt-4 is jsonSchema: no tools were sent.
    const r = await chat({ temperature: 0, maxTokens: 300 }).withStructuredOutput(Person, { includeRaw: true }).invoke('A person');
    assert(!(r.raw.tool_calls?.length), `tool calls in the default mode: ${show(r.raw)}`);
});

await check('withStructuredOutput jsonMode: every reply that ends is one JSON object (the schema is not sent, as OpenAI\'s)', async () => {
    let ended = 0;
    const anyObject = z.object({}).passthrough();
    for (const seed of seeds(6)) {
        const model = chat({ temperature: 1, maxTokens: 300 }).withConfig({ seed });
        const r = await model.withStructuredOutput(anyObject, { method: 'jsonMode', includeRaw: true }).invoke('Reply in JSON.');
        if (r.raw.response_metadata.finish_reason !== 'stop') continue;
        ended++;
        const v = JSON.parse(r.raw.content);
        assert(typeof v === 'object' && v !== null && !Array.isArray(v), r.raw.content);
        assert(r.parsed !== null && typeof r.parsed === 'object', `LangChain did not parse ${r.raw.content}`);
    }
    assert(ended >= 3, `only ${ended} of 6 replies ended`);
    // With a schema the random model does not know, the reply is JSON but not that schema:
    // LangChain's parser fails on the schema, not on the JSON.
    const r = await chat({ temperature: 0, maxTokens: 300 }).withStructuredOutput(Person, { method: 'jsonMode', includeRaw: true }).invoke('Reply in JSON.');
    if (r.raw.response_metadata.finish_reason === 'stop') JSON.parse(r.raw.content);
});

await check('withStructuredOutput functionCalling: the forced tool call\'s args satisfy the zod schema', async () => {
    let ended = 0;
    for (const seed of seeds(8)) {
        const model = chat({ temperature: 1, maxTokens: 300 }).withConfig({ seed });
        const r = await model.withStructuredOutput(Person, { method: 'functionCalling', name: 'record_person', includeRaw: true }).invoke('Record a person.');
        const calls = r.raw.tool_calls ?? [];
        if (r.raw.response_metadata.finish_reason === 'length') continue;
        ended++;
        assert(r.raw.response_metadata.finish_reason === 'tool_calls', `finish ${r.raw.response_metadata.finish_reason}`);
        assert(calls.length >= 1 && calls[0].name === 'record_person', show(r.raw));
        assert(r.parsed !== null, `not parsed: ${show(r.raw)}`);
        const ok = Person.safeParse(r.parsed);
        assert(ok.success, `${JSON.stringify(r.parsed)}: ${ok.error}`);
    }
    assert(ended >= 4, `only ${ended} of 8 replies ended`);
});

const weather = tool(async ({ city }) => `sunny in ${city}`, {
    name: 'get_weather',
    description: 'The weather in a city',
    schema: z.object({ city: z.string(), days: z.number().int().optional() }),
});
const clock = tool(async () => '12:00', { name: 'get_time', description: 'The time', schema: z.object({}) });

await check('bindTools with tool_choice naming a tool: tool_calls with parsed args; a ToolMessage round trip', async () => {
    const model = chat({ temperature: 1, maxTokens: 200 }).bindTools([weather, clock], { tool_choice: 'get_weather' });
    let called = 0;
    for (const seed of seeds(4)) {
        const ai = await model.invoke([new HumanMessage('Weather in Paris?')], { seed });
        if (ai.response_metadata.finish_reason === 'length') continue;
        called++;
        assert(ai.tool_calls.length >= 1, show(ai));
        const call = ai.tool_calls[0];
        assert(call.name === 'get_weather' && typeof call.id === 'string' && call.id.length > 0, JSON.stringify(call));
        assert(weather.schema.safeParse(call.args).success, `args ${JSON.stringify(call.args)}`);
        assert(!(ai.invalid_tool_calls?.length), `invalid calls ${JSON.stringify(ai.invalid_tool_calls)}`);
        // The tool runs on the call, and its result goes back as LangChain sends it.
        const result = await weather.invoke(call);
        assert(result instanceof ToolMessage && result.tool_call_id === call.id, JSON.stringify(result));
        const next = await chat({ temperature: 0, maxTokens: 8 }).bindTools([weather, clock])
            .invoke([new HumanMessage('Weather in Paris?'), ai, result]);
        assert(typeof next.content === 'string' && next.usage_metadata.input_tokens > ai.usage_metadata.input_tokens, show(next));
    }
    assert(called >= 2, `only ${called} of 4 turns ended`);
});

await check('bindTools tool_choice "any" (sent as required) and parallel_tool_calls false: one call, streamed the same', async () => {
    const model = chat({ temperature: 1, maxTokens: 200 }).bindTools([weather, clock], { tool_choice: 'any', parallel_tool_calls: false });
    let compared = 0;
    for (const seed of seeds(4)) {
        const ai = await model.invoke('Use a tool.', { seed });
        if (ai.response_metadata.finish_reason === 'length') continue;
        assert(ai.tool_calls.length === 1, show(ai));
        assert(['get_weather', 'get_time'].includes(ai.tool_calls[0].name), show(ai));
        const { message } = await streamed(model, 'Use a tool.', { seed });
        assert(JSON.stringify(message.tool_calls.map(({ name, args }) => ({ name, args }))) ===
            JSON.stringify(ai.tool_calls.map(({ name, args }) => ({ name, args }))),
            `streamed ${JSON.stringify(message.tool_calls)} vs ${JSON.stringify(ai.tool_calls)}`);
        assert(message.response_metadata.finish_reason === 'tool_calls', `streamed finish ${message.response_metadata.finish_reason}`);
        compared++;
    }
    assert(compared >= 2, `only ${compared} of 4 turns ended`);
});

await check('OpenAI (completions) LLM: invoke sends prompt as a list of one; stream joins to it', async () => {
    const llm = completionsLlm({ temperature: 0, maxTokens: 8 });
    const text = await llm.invoke('Once upon a time');
    assert(typeof text === 'string' && text.length > 0, JSON.stringify(text));
    let joined = '';
    for await (const piece of await llm.stream('Once upon a time')) joined += piece;
    assert(joined === text, `stream ${JSON.stringify(joined)} vs invoke ${JSON.stringify(text)}`);
});

await check('OpenAI LLM generate: several prompts in one request, one generation each, as each alone', async () => {
    const llm = completionsLlm({ temperature: 0, maxTokens: 6 });
    const prompts = ['Once upon a time', 'The capital of France is', 'def main():'];
    const r = await llm.generate(prompts);
    assert(r.generations.length === 3 && r.generations.every((g) => g.length === 1), JSON.stringify(r.generations));
    let completionTokens = 0;
    for (let i = 0; i < prompts.length; i++) {
        const alone = await llm.generate([prompts[i]]);
        assert(r.generations[i][0].text === alone.generations[0][0].text,
            `prompt ${i}: ${JSON.stringify(r.generations[i][0].text)} vs alone ${JSON.stringify(alone.generations[0][0].text)}`);
        completionTokens += alone.llmOutput.tokenUsage.completionTokens;
    }
    assert(r.llmOutput.tokenUsage.completionTokens === completionTokens, `usage ${JSON.stringify(r.llmOutput.tokenUsage)}, alone ${completionTokens}`);
});

await check('OpenAI LLM n: 2 choices per prompt, differing; the first is the reply at that seed', async () => {
    const llm = completionsLlm({ temperature: 1, maxTokens: 12, n: 2, modelKwargs: { seed: 5 } });
    const r = await llm.generate(['Once upon a time', 'Hello']);
    assert(r.generations.length === 2 && r.generations.every((g) => g.length === 2), JSON.stringify(r.generations));
    for (const g of r.generations) assert(g[0].text !== g[1].text, `two choices the same: ${JSON.stringify(g)}`);
    const one = await completionsLlm({ temperature: 1, maxTokens: 12, modelKwargs: { seed: 5 } }).invoke('Hello');
    assert(one === r.generations[1][0].text, `${JSON.stringify(one)} vs ${JSON.stringify(r.generations[1][0].text)}`);
});

process.exit(failed);
