#!/usr/bin/env python3
"""The Jinja chat template that Atelier's GGUF files carry renders DeepSeek V4 prompts byte for
byte like the engine's encoder.

Usage: chat_template_jinja.py TEMPLATE CONFORMANCE_DIR [ATELIER_CLI]

Renders resources/chat_templates/deepseek-v4.jinja with Python's jinja2 (no filters registered)
on the four official conformance vectors and on conversations built here, and compares the
bytes: with the vectors' outputs, with the expected text written below, and, when an
atelier-cli binary is given and exists, with `atelier-cli chat-template`. Each case is rendered
three ways: plain jinja2 (whose tojson is not Python's json.dumps, so the template writes the
JSON itself), with trim_blocks/lstrip_blocks (as llama.cpp and transformers set them), and with
a tojson filter that is json.dumps(ensure_ascii=False) (as transformers registers it, and as
llama.cpp's engine behaves), so both of the template's JSON paths are checked. Tool-call
arguments are given both as JSON text (OpenAI) and as objects (what llama.cpp passes after
parsing them). Exit 1 with a unified diff on any mismatch; "skip: ..." and exit 0 when jinja2
is not installed.
"""

import copy
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"


def environments(jinja2):
    yield "jinja2", jinja2.Environment()
    yield "jinja2 trim/lstrip", jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)

    def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    env.filters["tojson"] = tojson
    yield "jinja2 + json.dumps tojson", env


def object_arguments(messages):
    """The messages with every tool call's JSON-text arguments parsed (llama.cpp does this)."""
    out = copy.deepcopy(messages)
    for m in out:
        for call in m.get("tool_calls") or []:
            fn = call.get("function", {})
            if isinstance(fn.get("arguments"), str):
                fn["arguments"] = json.loads(fn["arguments"])
    return out


def string_arguments(messages):
    """The messages with object arguments written as JSON text (what atelier-cli reads)."""
    out = copy.deepcopy(messages)
    for m in out:
        for call in m.get("tool_calls") or []:
            fn = call.get("function", {})
            if not isinstance(fn.get("arguments"), str):
                fn["arguments"] = json.dumps(fn["arguments"], ensure_ascii=False)
    return out


def first_difference(a, b):
    ab, bb = a.encode("utf-8"), b.encode("utf-8")
    for i, (x, y) in enumerate(zip(ab, bb)):
        if x != y:
            return i
    return min(len(ab), len(bb))


class Checker:
    def __init__(self):
        self.failures = 0
        self.passed = 0

    def same(self, name, expected, actual):
        if expected == actual:
            self.passed += 1
            return True
        self.failures += 1
        at = first_difference(expected, actual)
        print(f"FAIL {name}: output differs from the expected text at byte {at}")
        diff = difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                    fromfile="expected", tofile="template")
        for line in diff:
            sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end\n")
        return False

    def ok(self, name, condition, message):
        if condition:
            self.passed += 1
        else:
            self.failures += 1
            print(f"FAIL {name}: {message}")


def readme_modes(folder):
    """Case number -> mode, from the README's table (| 4 | ... | `chat` | ... |)."""
    modes = {1: "thinking", 2: "thinking", 3: "thinking", 4: "chat"}
    try:
        with open(os.path.join(folder, "README.md"), encoding="utf-8") as f:
            for line in f:
                cells = [c.strip() for c in line.split("|")]
                if len(cells) < 3 or not cells[1].isdigit():
                    continue
                for cell in cells[2:]:
                    m = re.fullmatch(r"`(chat|thinking|max)`", cell)
                    if m:
                        modes[int(cells[1])] = m.group(1)
                        break
    except OSError:
        pass
    return modes


def mode_variables(mode):
    if mode == "max":
        return {"reasoning_effort": "max"}
    return {"thinking": mode != "chat"}


# ---- Conversations built here -------------------------------------------------------------
# Each: messages, optional tools, template variables, the atelier-cli mode and flags, and the
# expected text where it is short (checked without a CLI too). `cli_messages` is what the CLI
# reads when it differs; `cli_strip` is the text the template leaves out of the CLI's output
# (add_generation_prompt false).

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city <today> & \"tomorrow\"",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "城市"},
        "days": {"type": "integer", "minimum": 1, "default": 1.5}},
        "required": ["city"]}}}
TIME_TOOL = {"type": "function", "function": {
    "name": "get_time", "description": "Local time\nof a zone",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}}

MULTI_TURN = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": "Hi!"},
    {"role": "assistant", "reasoning_content": "Greet back.", "content": "Hello! How can I help?"},
    {"role": "user", "content": "What is 2+2?"},
]

CASES = [
    {
        "name": "system prompt, multi-turn, chat",
        "messages": MULTI_TURN, "vars": {"thinking": False, "add_generation_prompt": True},
        "cli": ["--mode", "chat"],
        "expected": BOS + "You are a concise assistant.<｜User｜>Hi!<｜Assistant｜></think>"
        "Hello! How can I help?" + EOS + "<｜User｜>What is 2+2?<｜Assistant｜></think>",
    },
    {
        "name": "system prompt, multi-turn, thinking (earlier reasoning dropped)",
        "messages": MULTI_TURN, "vars": {"thinking": True, "add_generation_prompt": True},
        "cli": ["--mode", "thinking"],
        "expected": BOS + "You are a concise assistant.<｜User｜>Hi!<｜Assistant｜></think>"
        "Hello! How can I help?" + EOS + "<｜User｜>What is 2+2?<｜Assistant｜><think>",
    },
    {
        "name": "enable_thinking is read like thinking",
        "messages": MULTI_TURN, "vars": {"enable_thinking": True, "add_generation_prompt": True},
        "cli": ["--mode", "thinking"],
        "expected": BOS + "You are a concise assistant.<｜User｜>Hi!<｜Assistant｜></think>"
        "Hello! How can I help?" + EOS + "<｜User｜>What is 2+2?<｜Assistant｜><think>",
    },
    {
        "name": "keep_reasoning keeps earlier reasoning",
        "messages": MULTI_TURN,
        "vars": {"thinking": True, "keep_reasoning": True, "add_generation_prompt": True},
        "cli": ["--mode", "thinking", "--keep-reasoning"],
        "expected": BOS + "You are a concise assistant.<｜User｜>Hi!<｜Assistant｜><think>"
        "Greet back.</think>Hello! How can I help?" + EOS + "<｜User｜>What is 2+2?"
        "<｜Assistant｜><think>",
    },
    {
        "name": "add_generation_prompt false after a user turn",
        "messages": MULTI_TURN, "vars": {"thinking": True, "add_generation_prompt": False},
        "cli": ["--mode", "thinking"], "cli_strip": "<｜Assistant｜><think>",
        "expected": BOS + "You are a concise assistant.<｜User｜>Hi!<｜Assistant｜></think>"
        "Hello! How can I help?" + EOS + "<｜User｜>What is 2+2?",
    },
    {
        "name": "add_generation_prompt false after an assistant turn, no system prompt",
        "messages": MULTI_TURN[1:] + [{"role": "assistant", "reasoning_content": "Easy.",
                                       "content": "4"}],
        "vars": {"thinking": True, "add_generation_prompt": False},
        "cli": ["--mode", "thinking"],
        "expected": BOS + "<｜User｜>Hi!<｜Assistant｜></think>Hello! How can I help?" + EOS
        + "<｜User｜>What is 2+2?<｜Assistant｜><think>Easy.</think>4" + EOS,
    },
    {
        "name": "max reasoning effort",
        "messages": MULTI_TURN[1:2], "vars": {"reasoning_effort": "max",
                                             "add_generation_prompt": True},
        "cli": ["--mode", "max"],
        "expected": BOS + "Reasoning Effort: Absolute maximum with no shortcuts permitted.\n"
        "You MUST be very thorough in your thinking and comprehensively decompose the problem to "
        "resolve the root cause, rigorously stress-testing your logic against all potential "
        "paths, edge cases, and adversarial scenarios.\nExplicitly write out your entire "
        "deliberation process, documenting every intermediate step, considered alternative, and "
        "rejected hypothesis to ensure absolutely no assumption is left unchecked.\n\n"
        "<｜User｜>Hi!<｜Assistant｜><think>",
    },
    {
        "name": "developer message before the last user turn is dropped (thinking, no tools)",
        "messages": [
            {"role": "developer", "content": "Answer in French."},
            {"role": "assistant", "content": "D'accord."},
            {"role": "user", "content": "Thanks", "task": "query"},
            {"role": "assistant", "content": "météo Paris"},
            {"role": "user", "content": "And now?"},
        ],
        "vars": {"thinking": True, "add_generation_prompt": True},
        "cli": ["--mode", "thinking"],
        "expected": BOS + "D'accord." + EOS + "<｜User｜>Thanks<｜query｜>météo Paris" + EOS
        + "<｜User｜>And now?<｜Assistant｜><think>",
    },
    {
        "name": "top-level tools without a system message, parallel calls, results out of order",
        "messages": [
            {"role": "user", "content": "Weather and time in Paris?"},
            {"role": "assistant", "reasoning_content": "Two calls.", "content": "",
             "tool_calls": [
                 {"id": "c1", "type": "function", "function": {
                     "name": "get_weather",
                     "arguments": {"city": "Paris", "days": 2, "units": ["C", "F"],
                                   "detail": {"wind": True, "ratio": 0.25, "note": None}}}},
                 {"id": "c2", "type": "function", "function": {
                     "name": "get_time", "arguments": "{\"zone\":\"Europe/Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "c2", "content": "10:00"},
            {"role": "tool", "tool_call_id": "c1", "content": "{\"t\": 21}"},
            {"role": "assistant", "reasoning_content": "Done.", "content": "21°C, 10:00."},
            {"role": "user", "content": "Thanks."},
        ],
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "vars": {"thinking": True, "add_generation_prompt": True},
        "cli": ["--mode", "thinking"],
        # Atelier's server gives the tools an empty system message; the CLI input says so.
        "cli_input": lambda case: {"messages": [{"role": "system", "content": ""}]
                                   + string_arguments(case["messages"]),
                                   "tools": case["tools"]},
        "contains": ["<｜User｜><tool_result>{\"t\": 21}</tool_result>\n\n"
                     "<tool_result>10:00</tool_result><｜Assistant｜><think>Done.</think>",
                     "<｜DSML｜parameter name=\"detail\" string=\"false\">{\"wind\": true, "
                     "\"ratio\": 0.25, \"note\": null}</｜DSML｜parameter>",
                     "\"description\": \"Weather for a city <today> & \\\"tomorrow\\\"\""],
    },
    {
        "name": "developer message with tools and response_format, chat mode",
        "messages": [
            {"role": "system", "content": "System.", "response_format": {
                "type": "json_schema", "json_schema": {"name": "answer", "schema": {
                    "type": "object", "properties": {"text": {"type": "string"}}}}}},
            {"role": "developer", "content": "Use the tools.", "tools": [TIME_TOOL]},
            {"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": "get_time",
                                                  "arguments": "{\"zone\": \"UTC\"}"}}]},
            {"role": "tool", "content": "12:00"},
            {"role": "assistant", "content": "It is 12:00."},
            {"role": "user", "content": "Format it.", "task": "action"},
        ],
        "vars": {"thinking": False, "add_generation_prompt": True},
        "cli": ["--mode", "chat"],
        "contains": ["System.\n\n## Response Format:\n\nYou MUST strictly adhere to the following "
                     "schema to reply:\n{\"type\": \"json_schema\", \"json_schema\": {\"name\": "
                     "\"answer\", \"schema\": {\"type\": \"object\", \"properties\": {\"text\": "
                     "{\"type\": \"string\"}}}}}<｜User｜>Use the tools.\n\n## Tools\n\n",
                     "<｜User｜><tool_result>12:00</tool_result><｜Assistant｜></think>It is 12:00."
                     + EOS + "<｜User｜>Format it.<｜Assistant｜></think><｜action｜>"],
    },
    {
        "name": "arguments as JSON text: escapes, unicode, nested values and numbers",
        "messages": [
            {"role": "system", "content": "", "tools": [WEATHER_TOOL]},
            {"role": "user", "content": "Go."},
            {"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments":
                    "{ \"city\" : \"S\\u00e3o Paulo \\ud83c\\udf27\\n\\t\\\"q\\\" \\\\ \\/\","
                    " \"opts\": {\"k\":[1.50, -0, 1E5, 0.00001, 2.5e-3, 1e16, true, null],"
                    "\"s\":\"\\u4e2d\\u0001\\/\"}, \"n\": 10}"}}]},
        ],
        "vars": {"thinking": True, "add_generation_prompt": False},
        "cli": ["--mode", "thinking"],
        "contains": ["<｜DSML｜parameter name=\"city\" string=\"true\">São Paulo 🌧\n\t\"q\" \\ /"
                     "</｜DSML｜parameter>\n<｜DSML｜parameter name=\"opts\" string=\"false\">"
                     "{\"k\": [1.5, 0, 100000.0, 1e-05, 0.0025, 1e+16, true, null], "
                     "\"s\": \"中\\u0001/\"}</｜DSML｜parameter>\n"
                     "<｜DSML｜parameter name=\"n\" string=\"false\">10</｜DSML｜parameter>"],
    },
]


def run_cli(cli, args, conversation, tmp):
    path = os.path.join(tmp, "conversation.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(conversation, f, ensure_ascii=False)
    proc = subprocess.run([cli, "--data-dir", tmp, "chat-template", *args, "--input", path],
                          capture_output=True)
    if proc.returncode != 0:
        return None, proc.stderr.decode("utf-8", "replace").strip()
    return proc.stdout.decode("utf-8"), None


def main(argv):
    if len(argv) < 3:
        print("usage: chat_template_jinja.py TEMPLATE CONFORMANCE_DIR [ATELIER_CLI]",
              file=sys.stderr)
        return 2
    try:
        import jinja2
    except ImportError:
        print("skip: Python's jinja2 is not installed (apt-get install python3-jinja2)")
        return 0
    template_path, vectors = argv[1], argv[2]
    cli = argv[3] if len(argv) > 3 else None
    if not os.path.isdir(vectors):
        print(f"skip: no conformance folder at {vectors}")
        return 0
    with open(template_path, encoding="utf-8") as f:
        source = f.read()
    templates = [(name, env.from_string(source)) for name, env in environments(jinja2)]
    check = Checker()

    # The official vectors.
    modes = readme_modes(vectors)
    for i in sorted(modes):
        input_path = os.path.join(vectors, f"input_{i}.json")
        if not os.path.exists(input_path):
            continue
        with open(input_path, encoding="utf-8") as f:
            data = json.load(f)
        messages, tools = (data["messages"], data.get("tools")) if isinstance(data, dict) \
            else (data, None)
        with open(os.path.join(vectors, f"output_{i}.txt"), "rb") as f:
            expected = f.read().decode("utf-8")
        variables = dict(mode_variables(modes[i]), add_generation_prompt=True)
        for env_name, template in templates:
            for args_name, msgs in (("", messages), (", object arguments",
                                                     object_arguments(messages))):
                if args_name and msgs == messages:
                    continue
                out = template.render(messages=msgs, tools=tools, **variables)
                check.same(f"vector {i} ({modes[i]}, {env_name}{args_name})", expected, out)

    # Conversations built here.
    cli_ok = cli is not None and os.path.isfile(cli) and os.access(cli, os.X_OK)
    if cli is not None and not cli_ok:
        print(f"note: no atelier-cli at {cli}; comparisons with it are skipped")
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            name = case["name"]
            outputs = []
            for env_name, template in templates:
                for args_name, msgs in (("", case["messages"]),
                                        (", object arguments", object_arguments(case["messages"]))):
                    if args_name and msgs == case["messages"]:
                        continue
                    out = template.render(messages=msgs, tools=case.get("tools"), **case["vars"])
                    outputs.append((f"{env_name}{args_name}", out))
            first_name, first = outputs[0]
            for other_name, other in outputs[1:]:
                check.same(f"{name}: {other_name} vs {first_name}", first, other)
            if "expected" in case:
                check.same(f"{name}: expected text", case["expected"], first)
            for piece in case.get("contains", []):
                check.ok(name, piece in first, f"the output lacks {piece!r}")
            if cli_ok:
                conversation = case["cli_input"](case) if "cli_input" in case else (
                    {"messages": string_arguments(case["messages"]), "tools": case["tools"]}
                    if case.get("tools") else string_arguments(case["messages"]))
                text, error = run_cli(cli, case["cli"], conversation, tmp)
                if error is not None:
                    check.ok(name, False, f"atelier-cli chat-template failed: {error}")
                    continue
                strip = case.get("cli_strip", "")
                if strip:
                    check.ok(name, text.endswith(strip), f"atelier-cli output does not end "
                             f"with {strip!r}")
                    text = text[:len(text) - len(strip)]
                check.same(f"{name}: atelier-cli {' '.join(case['cli'])}", text, first)

    print(f"{check.passed} checks passed, {check.failures} failed")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
