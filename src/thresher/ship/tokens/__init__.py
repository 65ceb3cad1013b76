"""Tokenized shards: a corpus turned into shuffled, fixed-size arrays of token ids a trainer
memory-maps (docs/train-ready.md, "Tokenized shards").

vocab.py: the tokenizer file, its EOS id and the id type; encode.py: documents to token ids
and document offsets (one staged run per input part); mix.py: languages sampled by token
share; pack.py: the seeded shuffle and the packing into shards; numpy_format.py and
megatron.py: the two shard layouts on disk; loader.py: :class:`TokenShards`, reading them
back; run.py: ``thresher tokenize`` from corpus to folder.
"""

from thresher.ship.tokens.loader import TokenShards

__all__ = ["TokenShards"]
