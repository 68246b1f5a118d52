"""``beistand preview``: the configured content in a local web page, with the real runtime.

:mod:`~bot.preview.session` holds the conversation (runtime, in-memory store, reloads),
:mod:`~bot.preview.server` serves the page and its JSON API, :mod:`~bot.preview.svg` draws the
diagrams; the page itself is in ``assets/`` (plain HTML, CSS and JavaScript).
"""
