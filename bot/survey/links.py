"""How participants reach a survey: the Telegram deep link, the Matrix and terminal command,
and the QR code (segno, a maintained QR library, rather than own code: a QR encoder is easy
to get subtly wrong and phones must read it)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from bot.engine.survey import PAYLOAD_PREFIX


@dataclass(frozen=True, slots=True)
class Invitation:
    """Where and how to answer one survey."""

    code: str
    telegram: str | None  # the deep link, if the bot's Telegram user name is known
    matrix: str | None  # the bot's Matrix id, if configured

    @property
    def command(self) -> str:
        """What to send in Matrix or the terminal chat."""
        return f"/umfrage {self.code}"

    @property
    def qr_target(self) -> str | None:
        """What the QR code holds: the Telegram link, else a matrix.to link to the bot."""
        if self.telegram:
            return self.telegram
        return f"https://matrix.to/#/{self.matrix}" if self.matrix else None


def telegram_link(username: str, code: str) -> str:
    """``https://t.me/<bot>?start=survey-<code>``."""
    return f"https://t.me/{username.lstrip('@')}?start={PAYLOAD_PREFIX}{code}"


def invitation(code: str, telegram_username: str | None, matrix_user: str | None) -> Invitation:
    """The ways to answer survey ``code`` with this bot."""
    link = telegram_link(telegram_username, code) if telegram_username else None
    return Invitation(code, link, matrix_user)


def write_png(data: str, path: Path) -> Path:
    """Write ``data`` as a QR code PNG (error correction M, 10 px a module, a quiet zone of 4)."""
    import segno

    segno.make(data, error="m", micro=False).save(str(path), kind="png", scale=10, border=4)
    return path


def terminal_qr(data: str) -> str:
    """``data`` as a QR code of Unicode half blocks, for a terminal (dark on light)."""
    import segno

    out = io.StringIO()
    segno.make(data, error="m", micro=False).terminal(out=out, compact=True, border=2)
    return out.getvalue()


__all__ = ["Invitation", "invitation", "telegram_link", "terminal_qr", "write_png"]
