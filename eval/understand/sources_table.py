"""The training-data table of an embedding model card: one row per dataset folder, with its
package, version, licence and author (from the folder's manifest.json) and the icons the
prepared data holds per split.

    python eval/understand/sources_table.py runs/embed-cpu/data DATASET_DIRS...
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from svgvl.train.embed_data import Prepared  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prepared", help="a folder written by svgvl.train.embed_data.prepare")
    parser.add_argument("data", nargs="+", help="the dataset folders it was prepared from")
    args = parser.parse_args()
    store = Prepared(args.prepared)
    counts = Counter((item["source"], item["split"]) for item in store.items)
    print("| source | package and version | icons (train / val / test) | licence | author |")
    print("|---|---|---|---|---|")
    for folder in map(Path, args.data):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for source in manifest["sources"]:
            package = f"{source.get('registry', '')} `{source.get('package', '')}` {source.get('version', '')}"
            split = " / ".join(f"{counts[(folder.name, s)]:,}" for s in ("train", "val", "test"))
            print(
                f"| `{source['source']}` | {package.strip()} | {split} | {source.get('licence', '')} "
                f"| {source.get('author', '')} |"
            )
    dropped = store.info.get("dropped", {})
    print(f"\nLeft out: {', '.join(f'{n:,} {why}' for why, n in dropped.items()) or 'none'}.")


if __name__ == "__main__":
    main()
