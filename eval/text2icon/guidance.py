"""Text-to-icon metrics of models at several classifier-free guidance scales.

The same held-out prompts, seeds and reference index for every model and scale (``svgvl bench --task
text2icon`` would rebuild the index, a few minutes, per run)::

    python eval/text2icon/guidance.py --model svgvl/models/weights/iconshop-gpu \
        --data datasets/tabler datasets/mdi ... --limit 80 --scales 1,1.5,2,3

Prints one markdown row per model and scale (``--model A B`` compares checkpoints): the last
column is each row's prompt match minus the first row's, averaged over prompts (the same seeds,
so the difference is paired), ± its standard error over prompts.
"""

from __future__ import annotations

import argparse
import itertools

from svgvl.bench import text2icon
from svgvl.models.iconshop import load_iconshop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--model", nargs="+", default=[None], help="checkpoint folders (default: the shipped one)"
    )
    parser.add_argument("--data", nargs="+", required=True, metavar="DIR")
    parser.add_argument("--limit", type=int, default=80, help="held-out prompts (default: 80)")
    parser.add_argument("-n", type=int, default=4, help="samples per prompt (default: 4)")
    parser.add_argument("--scales", default="1,1.5,2,3", help="guidance scales, comma-separated")
    parser.add_argument("--top-p", type=float, default=0.5)
    args = parser.parse_args()

    models = {name or "shipped": load_iconshop(name) for name in args.model}
    tokenizer = next(iter(models.values())).path_tokenizer
    prompts, _, index, embed = text2icon.reference(args.data, tokenizer, args.limit)
    print(text2icon.comparison_header("model", "guidance"))
    first = None
    scales = [float(s) for s in args.scales.split(",")]
    for (name, model), scale in itertools.product(models.items(), scales):
        samples = {}
        for k, prompt in enumerate(prompts):  # seed k for prompt k, as svgvl bench does
            rows = model.generate(
                text=prompt,
                num_return_sequences=args.n,
                seed=k,
                top_p=args.top_p,
                guidance_scale=scale,
            )
            samples[prompt] = [tokenizer.decode(row) for row in rows]
        r = text2icon.evaluate(samples, index, tokenizer, embed)
        first = first or r["prompt_match_by_prompt"]
        print(f"| {name} | {scale:g} | {text2icon.comparison_cells(r, first)}", flush=True)


if __name__ == "__main__":
    main()
