"""Text-to-icon metrics with and without the icon library (``generate_icons(library=...)``).

For every held-out prompt (seed k for prompt k, as ``svgvl bench`` does): "model" — the
model's raw samples with the default sampling (what ``svgvl bench`` scores); then one row per
``--library-top-p`` value — ``generate_icons`` as a user calls it (best of ``--best-of`` × n,
repeats drawn again), so that where the prompt names library icons (MiniLM cosine >=
``--min-match``) each icon starts from the first part of one and the model draws the rest::

    python eval/text2icon/library.py --data datasets/tabler datasets/mdi ... --limit 200

Prints one markdown row per selection; the last column is the prompt match minus the model's,
averaged over prompts, ± its standard error over prompts.  generate_icons draws repeats
again, so its uniqueness counts only repeats across prompts; novelty (renders) counts an icon as
seen when its render is a near duplicate of a training icon's, so it shows how much of the
library icon a variant keeps.
"""

from __future__ import annotations

import argparse
import warnings

from tqdm import tqdm

from svgvl.bench import text2icon
from svgvl.engines.icons import generate_icons, library_matches, model_library
from svgvl.models.iconshop import (
    DEFAULT_BEST_OF,
    DEFAULT_GUIDANCE,
    DEFAULT_TOP_P,
    load_iconshop,
)
from svgvl.models.library import DEFAULT_MIN_MATCH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--data", nargs="+", required=True, metavar="DIR")
    parser.add_argument("--limit", type=int, default=80, help="held-out prompts (default: 80)")
    parser.add_argument("-n", type=int, default=4, help="icons per prompt (default: 4)")
    parser.add_argument(
        "--prompt-seed", type=int, default=0, help="which sample of held-out prompts (default: 0)"
    )
    parser.add_argument("--min-match", type=float, default=DEFAULT_MIN_MATCH)
    parser.add_argument("--best-of", type=int, default=DEFAULT_BEST_OF, help="K/n (default: 2)")
    parser.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE)
    parser.add_argument("--top-p", type=float, default=DEFAULT_TOP_P, help="the model row's")
    parser.add_argument(
        "--library-top-p", type=float, nargs="+", default=[DEFAULT_TOP_P], metavar="P"
    )
    args = parser.parse_args()

    model = load_iconshop(args.model)
    library = model_library(model)
    if library is None:
        parser.error("the model has no icon library: build one with `svgvl library`")
    tok = model.path_tokenizer
    prompts, _, index, embed = text2icon.reference(args.data, tok, args.limit, args.prompt_seed)
    selections = {"model": {}}
    selections.update({f"generate_icons, library, top-p {p}": {} for p in args.library_top_p})
    matched = 0
    for k, prompt in enumerate(tqdm(prompts, desc="prompts")):
        states, mask = model.encode_text([prompt])
        rows = model.generate(
            text_states=states,
            text_mask=mask,
            num_return_sequences=args.n,
            seed=k,
            top_p=args.top_p,
            guidance_scale=args.guidance,
        )
        selections["model"][prompt] = [tok.decode(row) for row in rows]
        matched += bool(library_matches(model, library, states, mask, args.min_match))
        for name, top_p in zip(list(selections)[1:], args.library_top_p, strict=True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a repeat now and then
                selections[name][prompt] = generate_icons(
                    prompt,
                    args.n,
                    seed=k,
                    model=model,
                    top_p=top_p,
                    guidance_scale=args.guidance,
                    best_of=args.best_of * args.n,
                    library=library,
                    min_match=args.min_match,
                )
    print(f"{len(prompts)} prompts, {matched} name library icons (cosine >= {args.min_match})\n")
    print(text2icon.comparison_header("selection"))
    base = None
    for name, samples in selections.items():
        r = text2icon.evaluate(samples, index, tok, embed)
        base = base or r["prompt_match_by_prompt"]
        print(f"| {name} | {text2icon.comparison_cells(r, base)}", flush=True)


if __name__ == "__main__":
    main()
