"""The demo's language models: a small 5-gram per language, trained on reference text shipped
with the package (as CCNet trains on Wikipedia), so refine can split every language into
head / middle / tail."""

from __future__ import annotations

from pathlib import Path

from thresher.refine.lm_train import LmInfo, train_lm

#: One plain text file per demo language, ``reference/<lang>.txt``.
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


def reference_languages() -> list[str]:
    """Languages that have a reference text."""
    return sorted(p.stem for p in REFERENCE_DIR.glob("*.txt"))


def train_demo_models(lm_dir: str | Path, order: int = 5) -> list[LmInfo]:
    """Train every reference language's model into ``lm_dir`` (refine's ``lm_dir``).

    The built-in estimator and ARPA output are used whatever is installed, so the demo does
    the same everywhere and needs no external tool (lmplz would take as long to start)."""
    return [
        train_lm(
            [REFERENCE_DIR / f"{lang}.txt"],
            lang,
            lm_dir,
            order=order,
            estimator="builtin",
            binary=False,
            threads=1,
        )
        for lang in reference_languages()
    ]
