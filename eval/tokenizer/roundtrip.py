"""Round trip of the path tokenizer on held-out icons: encode → decode → render → SSIM.

    svgvl data build iconify:tabler --out DATA/tabler      # ... one folder per source
    python eval/tokenizer/roundtrip.py DATA/tabler DATA/mdi ... --out eval/results/tokenizer.md

Uses the ``test`` split of each dataset (never looked at while the tokenizer was designed),
renders the original and the decoded SVG at 256 px through svgvl.render, and reports per
source the share of icons at SSIM >= 0.98, the mean SSIM and the token counts.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
from pathlib import Path

from tqdm import tqdm

from svgvl import data
from svgvl.metrics import ssim
from svgvl.render import rasterize
from svgvl.tokenize import PathTokenizer, TokenizerSpec

TARGET = 0.98


def measure(folder: Path, tok: PathTokenizer, split: str, limit: int | None) -> dict:
    records = list(data.load(folder, split=split))[:limit]
    scores, lengths, failed = [], [], 0
    for record in tqdm(records, desc=folder.name, file=sys.stderr, leave=False):
        try:
            ids = tok.encode(record["svg"])
            decoded = tok.decode(ids)
            scores.append(ssim(rasterize(decoded, 256), rasterize(record["svg"], 256)))
            lengths.append(len(ids))
        except ValueError as error:
            failed += 1
            print(f"{record['id']}: {error}", file=sys.stderr)
    return {
        "source": folder.name,
        "n": len(records),
        "failed": failed,
        "pass": sum(s >= TARGET for s in scores) / max(len(records), 1),
        "mean": statistics.mean(scores) if scores else float("nan"),
        "min": min(scores) if scores else float("nan"),
        "median_tokens": statistics.median(lengths) if lengths else 0,
        "p95_tokens": sorted(lengths)[int(0.95 * (len(lengths) - 1))] if lengths else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--spec", type=Path, help="tokenizer spec file (default: version 1)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    spec = TokenizerSpec.from_file(args.spec) if args.spec else TokenizerSpec()
    tok = PathTokenizer(spec)
    rows = [measure(folder, tok, args.split, args.limit) for folder in args.datasets]
    lines = [
        f"| source | n | SSIM >= {TARGET} | mean SSIM | min SSIM | failed | median tokens | p95 tokens |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['source']} | {r['n']} | {100 * r['pass']:.1f} % | {r['mean']:.4f} | {r['min']:.4f} "
            f"| {r['failed']} | {r['median_tokens']:.0f} | {r['p95_tokens']} |"
        )
    total = sum(r["n"] for r in rows)
    passed = sum(r["pass"] * r["n"] for r in rows)
    lines.append(
        f"\nAll: {passed / max(total, 1) * 100:.1f} % of {total} icons at SSIM >= {TARGET}."
    )
    table = "\n".join(lines)
    print(table)
    if args.out:
        command = "python eval/tokenizer/roundtrip.py " + shlex.join(sys.argv[1:])
        args.out.write_text(
            "# Path tokenizer round trip\n\n"
            f"Tokenizer: {spec.name} v{spec.version}, grid {spec.grid}, fine {spec.fine}, "
            f"{tok.vocab_size:,} tokens. Split: {args.split}. Produced by:\n\n"
            f"```sh\n{command}\n```\n\n{table}\n"
        )


if __name__ == "__main__":
    main()
