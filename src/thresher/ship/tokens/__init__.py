"""Tokenized shards: a corpus turned into shuffled, fixed-size arrays of token ids a trainer
memory-maps (docs/train-ready.md, "Tokenized shards").

vocab.py: the tokenizer file, its EOS id and the id type; encode.py: documents to token ids
(a run per input part); job.py: the runs as a job on the stage runner; mix.py: languages
sampled by token share; pack.py: the runs read back, the seeded shuffle and the packing into
shards; numpy_format.py and megatron.py: the two shard layouts on disk; loader.py:
:class:`TokenShards`, reading them back; run.py: ``thresher tokenize`` from corpus to folder
or bucket.
"""

from thresher.ship.tokens.loader import TokenShards

__all__ = ["TokenShards"]
