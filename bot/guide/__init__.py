"""The printed regional guide (``beistand guide``): a two-to-four-page A4 handout built from the
same content the bot uses.

:mod:`bot.guide.spec` says which flow texts it quotes and where their facts were checked,
:mod:`bot.guide.model` builds the :class:`~bot.guide.model.Guide` from the loaded content (pure),
:mod:`bot.guide.links` makes the links that open the bot, and :mod:`bot.guide.render` writes
HTML (Jinja2, QR codes as inline SVG) and PDF (WeasyPrint, imported only there).
"""
