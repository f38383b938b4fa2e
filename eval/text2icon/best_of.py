"""Text-to-icon metrics with and without ``best_of`` (rank K samples, keep n).

For every held-out prompt the model draws K samples once (seed k for prompt k, as ``svgvl bench``
does); "raw" keeps the first n of them (what plain sampling gives), "best of K" the n distinct
ones first under each ranking of ``generate_icons(best_of=K, rank=...)`` (likelihood, the
SVG–text model's prompt–render cosine, or both), so the comparison is paired::

    python eval/text2icon/best_of.py --data datasets/tabler datasets/mdi ... --limit 200 --best-of 16 \
        --rankings likelihood,embedding,mix

Prints one markdown row per selection; the last column is the prompt match minus the raw row's,
averaged over prompts, ± its standard error over prompts.
"""

from __future__ import annotations

import argparse

from svgvl.bench import text2icon
from svgvl.engines.icons import best_first
from svgvl.models.iconshop import DEFAULT_GUIDANCE, DEFAULT_TOP_P, load_iconshop
from svgvl.understand.embed import load_embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--data", nargs="+", required=True, metavar="DIR")
    parser.add_argument("--limit", type=int, default=80, help="held-out prompts (default: 80)")
    parser.add_argument("-n", type=int, default=4, help="icons kept per prompt (default: 4)")
    parser.add_argument("--best-of", type=int, default=16, help="samples drawn (default: 16)")
    parser.add_argument(
        "--prompt-seed", type=int, default=0, help="which sample of held-out prompts (default: 0)"
    )
    parser.add_argument(
        "--rankings", default="likelihood", help="comma-separated: likelihood, embedding, mix"
    )
    parser.add_argument("--embed-model", help="SVG–text model folder (default: the shipped one)")
    parser.add_argument("--guidance", type=float, default=DEFAULT_GUIDANCE)
    parser.add_argument("--top-p", type=float, default=DEFAULT_TOP_P)
    args = parser.parse_args()

    model = load_iconshop(args.model)
    tok = model.path_tokenizer
    prompts, _, index, embed = text2icon.reference(args.data, tok, args.limit, args.prompt_seed)
    rankings = [r.strip() for r in args.rankings.split(",") if r.strip()]
    embedder = None if rankings == ["likelihood"] else load_embedder(args.embed_model)
    raw, best = {}, {r: {} for r in rankings}
    for k, prompt in enumerate(prompts):
        states, mask = model.encode_text([prompt])
        rows = model.generate(
            text_states=states,
            text_mask=mask,
            num_return_sequences=args.best_of,
            seed=k,
            top_p=args.top_p,
            guidance_scale=args.guidance,
        )
        raw[prompt] = [tok.decode(row) for row in rows[: args.n]]
        for ranking in rankings:
            order = best_first(model, rows, states, mask, 1, prompt, ranking, embedder)
            best[ranking][prompt] = list(dict.fromkeys(tok.decode(r) for r in order))[: args.n]
    print(text2icon.comparison_header("selection"))
    base = None
    selections = [("raw", raw)] + [(f"best of {args.best_of} by {r}", best[r]) for r in rankings]
    for name, samples in selections:
        r = text2icon.evaluate(samples, index, tok, embed)
        base = base or r["prompt_match_by_prompt"]
        print(f"| {name} | {text2icon.comparison_cells(r, base)}", flush=True)


if __name__ == "__main__":
    main()
