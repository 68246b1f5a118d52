"""The terminal chat: one user talking to the runtime through stdin and stdout.

Interactive on a terminal, scriptable through a pipe (one user message per line; end of input ends
the chat with exit status 0). Options are numbered; the user types the number or the label.
Typed lines become events through :func:`bot.engine.typed.parse_typed`, as on Telegram and
Matrix, so ``/start FLOW`` opens that flow here too; ``beistand chat --flow FLOW`` starts in it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.engine.events import Start
from bot.engine.typed import parse_typed
from bot.render import Outgoing, numbered, render
from bot.runtime_api import Handler, Incoming, Sender

CONSOLE_USER = "local"


class Console:
    """Reads lines, sends them to the handler and prints the replies."""

    def __init__(
        self,
        handler: Handler,
        locale: str | None,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        flow: str | None = None,
    ) -> None:
        self.handler = handler
        #: the flow the chat opens with (``beistand chat --flow FLOW``), else the menu
        self.flow = flow
        self.sender = Sender("console", CONSOLE_USER, locale)
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()

    async def deliver(self, route: str, message: Outgoing, key: str) -> None:
        """Show a message that arrives outside a reply (handoff notices, relayed text)."""
        self.stdout.write(numbered(message).plain + "\n\n")
        self.stdout.flush()

    def show(self, actions: tuple[object, ...]) -> None:
        """Print the bot's messages as plain text with numbered options."""
        for action in actions:
            for message in render(action):  # type: ignore[arg-type]
                self.stdout.write(numbered(message).plain + "\n\n")
        self.stdout.flush()

    async def readline(self) -> str | None:
        """The next line of input, or None at its end."""
        if self.interactive:
            self.stdout.write("> ")
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        if not line:
            return None
        text = line.rstrip("\r\n")
        if not self.interactive:
            self.stdout.write(f"> {text}\n")
        return text

    async def run(self) -> int:
        """Chat until end of input; returns the exit status."""
        self.show(await self.handler.handle(Incoming(self.sender, Start(self.flow))))
        while (line := await self.readline()) is not None:
            if not line.strip():
                continue
            event = parse_typed(line)
            self.show(await self.handler.handle(Incoming(self.sender, event)))
        return 0
