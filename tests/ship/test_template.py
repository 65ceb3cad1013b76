"""``thresher sft --template``: what a template may hold, refused in one line before anything
is read (nested fields in format specs, attribute and index access, huge widths)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from thresher.cli import main
from thresher.errors import ConfigError
from thresher.ship.template import MAX_PRECISION, MAX_TEMPLATE_BYTES, MAX_WIDTH, Template


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{title:{author}}", "a replacement field inside a format spec is not allowed"),
        ("{title:{body}}", "a replacement field inside a format spec is not allowed"),
        ("{title:>{__class__}}", "a replacement field inside a format spec is not allowed"),
        ("{title.__class__}", "references {title.__class__}, which is not a field"),
        ("{title[0]}", "references {title[0]}, which is not a field"),
        ("{question.__class__.__mro__}", "which is not a field"),
        ("{title:>99999999999}", f"a width over {MAX_WIDTH} is not allowed"),
        ("{title:x^1001}", f"a width over {MAX_WIDTH} is not allowed"),
        ("{title:01001}", f"a width over {MAX_WIDTH} is not allowed"),
        ("{title:" + "9" * 5000 + "}", "a width over"),
        ("{question:.99999999999}", f"a precision over {MAX_PRECISION} is not allowed"),
    ],
)
def test_refused_templates_are_one_line(text: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError) as e:
        Template(text, "t.txt")
    assert message in str(e.value) and str(e.value).startswith("t.txt: ")
    assert "\n" not in str(e.value) and time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{title:>12}|{question:.5}", "      Kettle|How d"),
        ("{title:*^9}", "*Kettle**"),
        ("{title!r} {{literal}}", "'Kettle' {literal}"),
        (f"{{title:{MAX_WIDTH}}}", "Kettle" + " " * (MAX_WIDTH - 6)),
        ("{title:9>4}", "Kettle"),  # a digit as the fill character
    ],
)
def test_bounded_format_specs_still_work(text: str, expected: str) -> None:
    values = {"title": "Kettle", "question": "How do I descale it?"}
    assert Template(text).render(values) == expected


def test_the_command_refuses_a_width_bomb_before_reading_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "t.txt"
    template.write_text("{title:>99999999999}\n{question}\n")
    out = tmp_path / "sft"
    assert main(["sft", str(tmp_path / "no-such-input"), "-o", str(out),
                 "--template", str(template)]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a width over 1000 is not allowed" in err[0], err
    assert not out.exists()
    big = tmp_path / "big.txt"
    big.write_text("{title}" + " " * MAX_TEMPLATE_BYTES)
    with pytest.raises(ConfigError, match="larger than"):
        Template.from_file(big)
