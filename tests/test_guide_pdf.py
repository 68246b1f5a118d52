"""``beistand guide --format pdf`` as an operator runs it: WeasyPrint prints the page, pypdf reads
its text back, pypdfium2 renders page 1 to pixels and zxing-cpp decodes the QR codes on it to the
exact links. Missing libraries fail in CI (tests/helpers.py ``unavailable``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.content import examples_dir
from tests.helpers import unavailable

TELEGRAM = "https://t.me/beistand_test_bot?start=menu"
MATRIX = "https://matrix.to/#/@beistand:example.org"
MUSTERLAND = examples_dir() / "musterland"


def _need(module: str) -> Any:
    try:
        return __import__(module)
    except (ImportError, OSError) as err:
        unavailable(f"{module} is not installed ({err}); see docs/kommunen-leitfaden.md")


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without a settings file; the bot's Telegram name in the environment."""
    monkeypatch.chdir(tmp_path)
    for name in ("BEISTAND_ENV_FILE", "MATRIX_USER_ID", "MATRIX_HOMESERVER", "TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "beistand_test_bot")
    return tmp_path


def write_pdf(out: Path, *args: str) -> bytes:
    _need("weasyprint")
    argv = ["guide", *args, "--out", str(out), "--date", "2026-12-07"]
    argv += ["--matrix-user", "@beistand:example.org"]
    assert main(argv) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    return data


def pdf_text(data: bytes) -> tuple[int, str]:
    pypdf = _need("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def qr_codes(data: bytes, page: int = 0) -> list[str]:
    pdfium = _need("pypdfium2")
    zxing = _need("zxingcpp")
    image = pdfium.PdfDocument(data)[page].render(scale=2).to_pil()
    return sorted(code.text for code in zxing.read_barcodes(image))


@pytest.mark.parametrize(
    ("name", "where"),
    [("musterland", ["--region", "14999", "--local", str(MUSTERLAND)]), ("by", ["--land", "BY"])],
)
def test_the_pdf_has_the_numbers_and_deadlines_and_the_qr_codes_open_the_bot(
    operator: Path, name: str, where: list[str]
) -> None:
    data = write_pdf(operator / f"{name}.pdf", *where, "--format", "pdf")
    pages, text = pdf_text(data)
    assert 2 <= pages <= 4, pages
    for fact in (
        "110",
        "112",
        "0800 300 99 44",
        "116 006",
        "drei Monate",
        "§ 77b StGB",
        "zwei Wochen",
        "§ 172 StPO",
        "§ 51 Bundesmeldegesetz",
        "geprüft am 1. Dezember 2026",
        "Stand dieses Leitfadens: 7. Dezember 2026",
    ):
        assert fact in text, fact
    if name == "musterland":
        assert "Landkreis Musterland" in text
        assert "0351 855-2223" in text
    else:
        assert "089 5597-4524" in text
    assert qr_codes(data) == sorted([TELEGRAM, MATRIX])


def test_the_english_pdf(operator: Path) -> None:
    out = operator / "guide-en.pdf"  # the format follows the file name
    data = write_pdf(out, "--region", "14999", "--local", str(MUSTERLAND), "--lang", "en")
    pages, text = pdf_text(data)
    assert 2 <= pages <= 4, pages
    for fact in (
        "In an emergency",
        "three months",
        "section 77b StGB",
        "two weeks",
        "section 172 StPO",
        "0800 300 99 44",
        "checked on December 1, 2026",
    ):
        assert fact in text, fact
    assert "Erste Schritte" not in text
    assert qr_codes(data) == sorted([TELEGRAM, MATRIX])


def test_an_extra_link_gets_its_own_code(operator: Path) -> None:
    data = write_pdf(operator / "g.pdf", "--land", "HB", "--link", "https://example.org/beistand")
    assert qr_codes(data) == sorted([TELEGRAM, MATRIX, "https://example.org/beistand"])


def test_without_a_link_to_the_bot_nothing_is_written(
    operator: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    out = operator / "g.html"
    assert main(["guide", "--land", "BY", "--out", str(out)]) == 2
    assert "TELEGRAM_BOT_USERNAME and/or MATRIX_USER_ID" in capsys.readouterr().err
    assert not out.exists()


def test_html_from_the_command(operator: Path) -> None:
    out = operator / "g.html"
    assert main(["guide", "--land", "BY", "--out", str(out), "--date", "2026-12-07"]) == 0
    html = out.read_text(encoding="utf-8")
    assert TELEGRAM in html and html.count("<svg") == 1
