"""The tokenizer of a run: a Hugging Face ``tokenizers`` JSON file read from disk (nothing is
downloaded), the id that ends every document (EOS) and the smallest unsigned type its ids fit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from thresher.errors import ConfigError, InputError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

#: EOS tokens looked for, in this order, when neither ``--eos`` nor ``--eos-id`` is given
EOS_CANDIDATES = ("</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|eos|>")


def load_tokenizer(path: str | Path) -> Tokenizer:
    """The tokenizer in ``path``; a missing or unreadable file is one :class:`InputError`."""
    from tokenizers import Tokenizer

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such tokenizer file")
    try:
        return Tokenizer.from_file(str(p))
    except Exception as e:  # tokenizers raises a bare Exception for a malformed file
        detail = (str(e).strip().splitlines() or [type(e).__name__])[0][:160]
        raise InputError(f"{p}: not a Hugging Face tokenizer file: {detail}") from None


def tokenizer_digest(path: str | Path) -> str:
    """SHA-256 of the tokenizer file: part of a run's identity and of its manifest."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def vocab_size(tokenizer: Tokenizer) -> int:
    """Ids run from 0 to this minus one (added tokens included)."""
    return int(tokenizer.get_vocab_size(with_added_tokens=True))


def resolve_eos(tokenizer: Tokenizer, eos: str | None = None, eos_id: int | None = None) -> int:
    """The EOS id: ``eos_id`` when given, else the id of the token ``eos``, else the first of
    :data:`EOS_CANDIDATES` the vocabulary holds; a :class:`ConfigError` when none fits."""
    size = vocab_size(tokenizer)
    if eos_id is not None:
        if not 0 <= eos_id < size:
            raise ConfigError(f"--eos-id {eos_id}: outside the vocabulary (0 to {size - 1})")
        return eos_id
    if eos is not None:
        found = tokenizer.token_to_id(eos)
        if found is None:
            raise ConfigError(f"--eos {eos!r}: no such token in the tokenizer's vocabulary")
        return int(found)
    for name in EOS_CANDIDATES:
        found = tokenizer.token_to_id(name)
        if found is not None:
            return int(found)
    raise ConfigError(
        f"the tokenizer has none of {', '.join(EOS_CANDIDATES)}: name its EOS token with --eos "
        "or its id with --eos-id"
    )


def token_dtype(size: int) -> np.dtype[np.unsignedinteger]:
    """``uint16`` when every id of a ``size``-token vocabulary fits, else ``uint32``
    (little-endian either way, as the shards are written)."""
    return np.dtype("<u2") if size <= 1 << 16 else np.dtype("<u4")
