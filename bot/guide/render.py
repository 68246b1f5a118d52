"""The guide as a printable page: HTML from a Jinja2 template (autoescaped) with the QR codes
inline as SVG (segno), and PDF from that HTML through WeasyPrint.

WeasyPrint is imported only by :func:`to_pdf`, so ``--format html`` (and everything else in
Beistand) works without it and without Pango; see docs/kommunen-leitfaden.md for what an
operator installs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources

from bot.errors import ConfigError
from bot.guide.links import BotLink
from bot.guide.model import Guide

TEMPLATE = "guide.html.j2"
STYLESHEET = "guide.css"


@dataclass(frozen=True, slots=True)
class PrintedLink:
    """A link with its label and its QR code (an ``<svg>`` element)."""

    channel: str
    url: str
    label: str
    svg: str


def qr_svg(url: str, title: str) -> str:
    """A QR code for ``url`` as an inline ``<svg>`` element (error correction M, quiet zone of
    four modules as the standard asks), sized by the stylesheet."""
    import segno

    code = segno.make(url, error="m", micro=False)
    return str(code.svg_inline(scale=1, border=4, omitsize=True, title=title, dark="#000"))


def _printed(link: BotLink, guide: Guide) -> PrintedLink:
    labels = {
        "telegram": guide.labels.telegram,
        "matrix": guide.labels.matrix,
        "link": guide.labels.link,
    }
    label = labels.get(link.channel, link.channel)
    return PrintedLink(link.channel, link.url, label, qr_svg(link.url, f"{label}: {link.url}"))


def _asset(name: str) -> str:
    return resources.files("bot.guide").joinpath("templates", name).read_text(encoding="utf-8")


def to_html(guide: Guide, made: date) -> str:
    """The guide as one self-contained HTML document (styles inline, no external resource)."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    template = env.from_string(_asset(TEMPLATE))
    return template.render(
        guide=guide,
        L=guide.labels,
        links=[_printed(link, guide) for link in guide.links],
        css=_asset(STYLESHEET),
        made_iso=made.isoformat(),
    )


def to_pdf(html: str) -> bytes:
    """The HTML printed to PDF (A4) by WeasyPrint.

    Raises:
        ConfigError: WeasyPrint or the Pango library it needs is not installed.
    """
    try:
        from weasyprint import HTML
    except ImportError as err:  # the package, or (OSError subclass below) Pango
        raise ConfigError(
            f"PDF needs WeasyPrint ({err}): pip install 'beistand[pdf]' and, on Debian, "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; or use "
            "--format html and print it from a browser"
        ) from err
    except OSError as err:
        raise ConfigError(
            f"WeasyPrint cannot load Pango ({err}): apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0 fonts-dejavu-core"
        ) from err
    pdf = HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
