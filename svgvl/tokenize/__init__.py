"""Tokenizers: an IconShop-style path tokenizer with paint, for the text-to-icon model.

tok = PathTokenizer()                  # version 1 on a 128 grid (tokenizers/svgvl-paths-v1.json)
ids = tok.encode("icon.svg", dropped)  # <bos> <path> fill stroke ... <eos>
svg = tok.decode(ids)                  # total: a valid SVG or a TokenError naming the position
mask = tok.grammar.allowed(state)      # ids allowed next, for constrained sampling
"""

from .grammar import START, Grammar, TokenError
from .tokenizer import PathTokenizer
from .vocab import TokenizerSpec, Vocab

__all__ = ["START", "Grammar", "PathTokenizer", "TokenError", "TokenizerSpec", "Vocab"]
