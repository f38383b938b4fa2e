"""Train a small byte-level BPE tokenizer on SVG code (the tiny StarVector config's tokenizer).

    python examples/train_svg_bpe.py --out tokenizers/svg-bpe-1k --vocab-size 1024 \
        iconify:tabler iconify:lucide iconify:mdi iconify:twemoji iconify:simple-icons \
        fontawesome dir:tests/fixtures/svg

Each SOURCE is anything ``svgvl data build`` accepts (``iconify:<set>``, ``lucide``, ``dir:PATH``,
...; package archives are fetched once into ``$SVGVL_CACHE/packages`` with npm/pip) or a
dataset folder built by ``svgvl data build``.
The corpus is the SVG code as published (what the StarVector-style model learns to write), at
most ``--per-source`` files from each source, taken evenly over its sorted ids.

The tokenizer is a Hugging Face ``PreTrainedTokenizerFast`` (``tokenizer.json`` and
``tokenizer_config.json``): ``<|endoftext|>`` is its end-of-sequence token, ``[PAD]`` its padding,
and StarVector's added tokens ``<svg-start>``, ``<image-start>``, ``<caption-start>`` are in it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

SPECIAL_TOKENS = ["<|endoftext|>", "[PAD]", "<svg-start>", "<image-start>", "<caption-start>"]


def source_texts(spec: str, limit: int) -> list[str]:
    """At most ``limit`` SVG texts of one source, spread evenly over its ids."""
    if os.path.isfile(os.path.join(spec, "manifest.json")):
        from svgvl import data

        texts = [record["svg"] for record in data.load(spec)]
    else:
        from svgvl.data.sources import load

        texts = [item.svg for item in load(spec).items if item.svg]
    if len(texts) > limit:
        step = len(texts) / limit
        texts = [texts[int(i * step)] for i in range(limit)]
    return texts


def train(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="+", metavar="SOURCE")
    parser.add_argument("--out", required=True, help="folder for the tokenizer files")
    parser.add_argument("--vocab-size", type=int, default=1024)
    parser.add_argument("--per-source", type=int, default=3000, metavar="N")
    args = parser.parse_args(argv)

    from transformers import PreTrainedTokenizerFast

    corpus: list[str] = []
    counts = {}
    for spec in args.sources:
        texts = source_texts(spec, args.per_source)
        counts[spec] = len(texts)
        corpus.extend(texts)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=train(corpus, args.vocab_size),
        eos_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        pad_token="[PAD]",
        model_max_length=4096,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.save_pretrained(args.out)
    # The generic class name, which every transformers version (4.x and 5.x) resolves.
    settings_file = os.path.join(args.out, "tokenizer_config.json")
    with open(settings_file, encoding="utf-8") as handle:
        settings = json.load(handle)
    settings["tokenizer_class"] = "PreTrainedTokenizerFast"
    settings.pop("backend", None)
    with open(settings_file, "w", encoding="utf-8") as handle:
        json.dump(settings, handle, indent=2)
        handle.write("\n")
    total = sum(len(t) for t in corpus)
    tokens = sum(len(ids) for ids in tokenizer(corpus)["input_ids"])
    summary = {
        "vocab_size": len(tokenizer),
        "files": counts,
        "characters": total,
        "tokens": tokens,
        "characters_per_token": round(total / tokens, 3),
    }
    with open(os.path.join(args.out, "corpus.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2)
        handle.write("\n")
    print(json.dumps(summary, indent=2), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
