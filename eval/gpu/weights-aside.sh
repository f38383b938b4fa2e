#!/usr/bin/env bash
# The device call sends the working tree (tracked files + untracked, not ignored) plus what it
# carries, 64 MiB in all. The shipped weights (~42 MB) and the icon pack (~26 MB) do not fit
# together, and the GPU jobs never read the shipped weights. `eval/gpu/weights-aside.sh` takes
# them out of the index and ignores them locally (the files stay on disk) for the call;
# `eval/gpu/weights-aside.sh --restore` puts them back. Nothing is committed either way.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
weights=svgvl/models/weights
exclude=.git/info/exclude
if [ "${1:-}" = "--restore" ]; then
  sed -i "\#^/$weights/\$#d" "$exclude"
  git reset -q -- "$weights"
  echo "restored: $(git ls-files "$weights" | wc -l) files tracked under $weights"
else
  git rm -r -q --cached -- "$weights"
  grep -qx "/$weights/" "$exclude" || echo "/$weights/" >> "$exclude"
  echo "set aside: $weights is untracked and ignored until --restore (do not commit meanwhile)"
fi
