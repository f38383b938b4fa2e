#!/usr/bin/env bash
# Turn what eval/gpu/iconshop_train.py brought back (bf16 shards + model-meta.tar) into a model
# folder that svgvl loads: eval/gpu/iconshop_unpack.sh RETURNED_DIR MODEL_DIR
set -euo pipefail
src=$1 dst=$2
mkdir -p "$dst"
cp "$src"/*.safetensors "$dst"/
tar -xf "$src/model-meta.tar" -C "$dst"
[ -f "$src/train-log.jsonl" ] && cp "$src/train-log.jsonl" "$dst"/
echo "model folder: $dst ($(ls "$dst" | tr '\n' ' '))"
