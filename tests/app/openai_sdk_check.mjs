// Driven by cli_openai_sdk.sh: the official `openai` npm package against `atelier-cli serve` on
// a tiny random model (issue 20, items 2-5). Prints "ok   NAME" / "FAIL NAME: why" per check and
// exits 1 if any failed. Usage: node openai_sdk_check.mjs BASE_URL MODEL_ID
import OpenAI from 'openai';

const [baseURL, modelId] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + '/v1', apiKey: 'none', maxRetries: 0, timeout: 120000 });
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
async function rejects(promise, status, ...needles) {
    try {
        await promise;
    } catch (e) {
        assert(e instanceof OpenAI.APIError, `not an APIError: ${e}`);
        assert(e.status === status, `status ${e.status}, wanted ${status}: ${e.message}`);
        for (const n of needles) assert(e.message.includes(n), `"${e.message}" does not name ${n}`);
        return e;
    }
    throw new Error(`no error, wanted ${status}`);
}
const user = (text) => ({ role: 'user', content: text });
const seeds = (n) => Array.from({ length: n }, (_, i) => i + 1);

await check('models.list and models.retrieve(id)', async () => {
    const list = await client.models.list();
    assert(list.data.some((m) => m.id === modelId), JSON.stringify(list.data));
    const one = await client.models.retrieve(modelId);
    assert(one.id === modelId && one.object === 'model', JSON.stringify(one));
    await rejects(client.models.retrieve('no-such-model'), 404, 'no-such-model');
});

await check('array content parts on system, user, assistant and tool messages', async () => {
    const text = (t) => [{ type: 'text', text: t }];
    const r = await client.chat.completions.create({
        model: modelId, max_tokens: 4, temperature: 0,
        messages: [
            { role: 'system', content: text('Be terse.') },
            { role: 'user', content: [{ type: 'text', text: 'Weather' }, { type: 'text', text: 'in Paris?' }] },
            { role: 'assistant', content: text(''), tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } }] },
            { role: 'tool', tool_call_id: 'c1', content: text('sunny') },
        ],
        tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    assert(r.choices.length === 1 && r.usage.completion_tokens > 0, JSON.stringify(r));
    // The same conversation as strings gives the same prompt.
    const s = await client.chat.completions.create({
        model: modelId, max_tokens: 4, temperature: 0,
        messages: [{ role: 'system', content: 'Be terse.' }, user('Weather\nin Paris?'),
            { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } }] },
            { role: 'tool', tool_call_id: 'c1', content: 'sunny' }],
        tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    assert(s.usage.prompt_tokens === r.usage.prompt_tokens, `${s.usage.prompt_tokens} vs ${r.usage.prompt_tokens}`);
    assert(s.choices[0].message.content === r.choices[0].message.content, 'greedy replies differ');
});

await check('an image part is a 400 naming the part', async () => {
    await rejects(client.chat.completions.create({
        model: modelId, max_tokens: 2,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }] }],
    }), 400, 'content[1]', 'image_url');
});

const objectSchema = {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' }, ok: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } } },
    required: ['name', 'age', 'ok'], additionalProperties: false,
};
function validates(v) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
    for (const k of objectSchema.required) if (!(k in v)) return `no ${k}`;
    for (const k of Object.keys(v)) if (!(k in objectSchema.properties)) return `unknown key ${k}`;
    if (typeof v.name !== 'string') return 'name';
    if (!Number.isInteger(v.age)) return 'age';
    if (typeof v.ok !== 'boolean') return 'ok';
    if ('tags' in v && !(Array.isArray(v.tags) && v.tags.every((t) => t === 'a' || t === 'b'))) return 'tags';
    return '';
}

await check('response_format json_object: every reply that ends is a JSON object', async () => {
    let ended = 0;
    for (const seed of seeds(8)) {
        const r = await client.chat.completions.create({
            model: modelId, max_tokens: 300, temperature: 1, seed, messages: [user('JSON please')],
            response_format: { type: 'json_object' },
        });
        const c = r.choices[0];
        if (c.finish_reason !== 'stop') continue;
        ended++;
        const v = JSON.parse(c.message.content);
        assert(typeof v === 'object' && v !== null && !Array.isArray(v), c.message.content);
    }
    assert(ended >= 4, `only ${ended} of 8 replies ended`);
});

await check('response_format json_schema: replies parse and satisfy the schema (also streamed)', async () => {
    let ended = 0;
    for (const seed of seeds(8)) {
        const stream = seed % 2 === 0;
        const req = {
            model: modelId, max_tokens: 300, temperature: 1, seed, messages: [user('A person')],
            response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: objectSchema } },
        };
        let content = '', finish = null;
        if (stream) {
            for await (const chunk of await client.chat.completions.create({ ...req, stream: true })) {
                for (const ch of chunk.choices) { content += ch.delta.content ?? ''; finish = ch.finish_reason ?? finish; }
            }
        } else {
            const r = await client.chat.completions.create(req);
            content = r.choices[0].message.content;
            finish = r.choices[0].finish_reason;
        }
        if (finish !== 'stop') continue;
        ended++;
        const why = validates(JSON.parse(content));
        assert(why === '', `${why}: ${content}`);
    }
    assert(ended >= 4, `only ${ended} of 8 replies ended`);
    await rejects(client.chat.completions.create({
        model: modelId, max_tokens: 2, messages: [user('x')],
        response_format: { type: 'json_schema', json_schema: { name: 'bad', schema: { type: 'nothing' } } },
    }), 400, 'response_format.json_schema.schema');
});

await check('logprobs and top_logprobs: a distribution, greedy picks its top token', async () => {
    const r = await client.chat.completions.create({
        model: modelId, max_tokens: 6, temperature: 0, messages: [user('Hi')], logprobs: true, top_logprobs: 3,
    });
    const lp = r.choices[0].logprobs;
    assert(lp && Array.isArray(lp.content), JSON.stringify(r.choices[0]));
    const generated = r.usage.completion_tokens - (r.choices[0].finish_reason === 'stop' ? 1 : 0);
    assert(lp.content.length === generated, `${lp.content.length} entries for ${generated} tokens`);
    let text = '';
    for (const t of lp.content) {
        assert(t.logprob <= 0 && t.top_logprobs.length === 3, JSON.stringify(t));
        for (let i = 1; i < 3; i++) assert(t.top_logprobs[i - 1].logprob >= t.top_logprobs[i].logprob, 'top not sorted');
        assert(t.top_logprobs.reduce((s, x) => s + Math.exp(x.logprob), 0) <= 1 + 1e-4, 'more than all the mass');
        assert(t.token === t.top_logprobs[0].token && Math.abs(t.logprob - t.top_logprobs[0].logprob) < 1e-6,
            `greedy did not pick its top token: ${JSON.stringify(t)}`);
        text += Buffer.from(t.bytes).toString('latin1');
    }
    assert(Buffer.from(text, 'latin1').toString('utf8') === r.choices[0].message.content,
        'the tokens\' bytes are not the reply');
    // Sampled: the chosen token's logprob is at most the top one's; streamed chunks carry
    // the same entries as a whole reply with the same seed.
    const req = { model: modelId, max_tokens: 8, temperature: 1, seed: 11, messages: [user('Hi')], logprobs: true, top_logprobs: 2 };
    const whole = await client.chat.completions.create(req);
    const streamed = [];
    for await (const chunk of await client.chat.completions.create({ ...req, stream: true }))
        for (const ch of chunk.choices) streamed.push(...(ch.logprobs?.content ?? []));
    const a = whole.choices[0].logprobs.content;
    assert(JSON.stringify(a) === JSON.stringify(streamed), `stream ${JSON.stringify(streamed)} vs ${JSON.stringify(a)}`);
    for (const t of a) assert(t.logprob <= t.top_logprobs[0].logprob + 1e-6, JSON.stringify(t));
    const none = await client.chat.completions.create({ model: modelId, max_tokens: 2, messages: [user('Hi')] });
    assert(none.choices[0].logprobs === null, 'logprobs without asking');
});

await check('parallel_tool_calls:false gives at most one call', async () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] } } },
        { type: 'function', function: { name: 'g', parameters: { type: 'object', properties: {} } } }];
    let most = { true: 0, false: 0 }, calls = 0;
    for (const parallel of [false, true]) {
        for (const seed of seeds(8)) {
            const r = await client.chat.completions.create({
                model: modelId, max_tokens: 200, temperature: 1.5, seed, messages: [user('Call tools')],
                tools, tool_choice: 'required', parallel_tool_calls: parallel,
            });
            const n = (r.choices[0].message.tool_calls ?? []).length;
            most[parallel] = Math.max(most[parallel], n);
            if (!parallel) calls += n;
        }
    }
    assert(most.false <= 1, `${most.false} calls in one turn with parallel_tool_calls false`);
    assert(calls >= 1, 'no call at all');
    console.log(`     (most calls in a turn: ${most.true} with parallel_tool_calls true, ${most.false} with false)`);
});

await check('no seed: replies differ; the same seed: the same reply', async () => {
    const req = { model: modelId, max_tokens: 16, temperature: 1, messages: [user('Say something')] };
    const a = await client.chat.completions.create(req), b = await client.chat.completions.create(req);
    assert(a.choices[0].message.content !== b.choices[0].message.content, 'two unseeded replies are the same');
    const c = await client.chat.completions.create({ ...req, seed: 5 }), d = await client.chat.completions.create({ ...req, seed: 5 });
    assert(c.choices[0].message.content === d.choices[0].message.content, 'the same seed gave different replies');
});

await check('no max_tokens: the reply runs past 256 tokens (the context is the limit)', async () => {
    const controller = new AbortController();
    let pieces = 0;
    try {
        const stream = await client.chat.completions.create(
            { model: modelId, temperature: 0, seed: 1, messages: [user('Go on')], stream: true, logprobs: true },
            { signal: controller.signal });
        for await (const chunk of stream) {
            for (const ch of chunk.choices) {
                pieces += (ch.logprobs?.content ?? []).length;
                assert(ch.finish_reason !== 'length', `cut by length after ${pieces} tokens`);
            }
            if (pieces > 300) { controller.abort(); break; }
        }
    } catch (e) {
        if (!(e instanceof OpenAI.APIUserAbortError)) throw e;
    }
    assert(pieces > 256, `only ${pieces} tokens before the stream ended`);
});

await check('stream_options.include_usage: a last chunk with choices [] and the usage', async () => {
    const chunks = [];
    for await (const c of await client.chat.completions.create({
        model: modelId, max_tokens: 5, temperature: 0, messages: [user('Hi')], stream: true, stream_options: { include_usage: true } }))
        chunks.push(c);
    const last = chunks[chunks.length - 1];
    assert(last.choices.length === 0 && last.usage, JSON.stringify(last));
    assert(last.usage.completion_tokens === 5 && last.usage.total_tokens === last.usage.prompt_tokens + 5, JSON.stringify(last.usage));
    assert(chunks.slice(0, -1).every((c) => c.choices.length === 1 && !c.usage), 'usage before the last chunk');
    const plain = [];
    for await (const c of await client.completions.create({ model: modelId, prompt: 'Hi', max_tokens: 3, temperature: 0, stream: true, stream_options: { include_usage: true } }))
        plain.push(c);
    const end = plain[plain.length - 1];
    assert(end.choices.length === 0 && end.usage.completion_tokens === 3, JSON.stringify(end));
});

await check('completions: a list of prompts and n are served, each choice as its prompt alone; chat n too', async () => {
    const one = await client.completions.create({ model: modelId, prompt: ['Hello'], max_tokens: 3, temperature: 0 });
    const str = await client.completions.create({ model: modelId, prompt: 'Hello', max_tokens: 3, temperature: 0 });
    assert(one.choices[0].text === str.choices[0].text && one.usage.prompt_tokens === str.usage.prompt_tokens, 'list and string differ');
    const req = { model: modelId, max_tokens: 5, temperature: 1, seed: 8 };
    const both = await client.completions.create({ ...req, prompt: ['Hello', 'Bye'], n: 2 });
    assert(both.choices.map((c) => c.index).join() === '0,1,2,3', JSON.stringify(both.choices));
    for (const [k, prompt, seed] of [[0, 'Hello', 8], [1, 'Hello', 9], [2, 'Bye', 8], [3, 'Bye', 9]]) {
        const alone = await client.completions.create({ ...req, prompt, seed });
        assert(both.choices[k].text === alone.choices[0].text, `choice ${k}: ${JSON.stringify(both.choices[k].text)} vs ${JSON.stringify(alone.choices[0].text)}`);
    }
    await rejects(client.completions.create({ model: modelId, prompt: 'a', n: 2, best_of: 3, max_tokens: 1 }), 400, 'best_of is 3');
    const chat = await client.chat.completions.create({ ...req, n: 2, messages: [user('x')] });
    assert(chat.choices.length === 2 && chat.choices[1].index === 1, JSON.stringify(chat.choices));
    const second = await client.chat.completions.create({ ...req, seed: 9, messages: [user('x')] });
    assert(chat.choices[1].message.content === second.choices[0].message.content, 'chat choice 1 is not the reply at seed + 1');
    await rejects(client.chat.completions.create({ model: modelId, n: 129, max_tokens: 1, messages: [user('x')] }), 400, 'n is 129');
});

await check('an assistant prefix message (prefix / wo_eos) is continued: no end-of-sentence token after it', async () => {
    const conv = (extra) => [user('Hi'), { role: 'assistant', content: 'Hel', ...extra }];
    const closed = await client.chat.completions.create({ model: modelId, max_tokens: 1, temperature: 0, messages: conv({}) });
    for (const extra of [{ prefix: true }, { wo_eos: true }]) {
        const open = await client.chat.completions.create({ model: modelId, max_tokens: 1, temperature: 0, messages: conv(extra) });
        assert(open.usage.prompt_tokens === closed.usage.prompt_tokens - 1,
            `${JSON.stringify(extra)}: ${open.usage.prompt_tokens} prompt tokens, closed ${closed.usage.prompt_tokens}`);
    }
});

process.exit(failed);
