"""Every user-facing text of the program's code, in one package.

The msgids are German (the source language); each function takes the recipient's
:class:`~bot.i18n.Translator`, so Babel's extractor finds every ``t.gettext("...")`` here and
``beistand validate --translations`` can tell which are missing in a catalog. Texts of the
content (flows, knowledge) come from the content files, not from here. No markup: HTML is made
only in :mod:`bot.render`.

:mod:`~bot.engine.texts.user` holds what a user reads in a conversation,
:mod:`~bot.engine.texts.local` the region question and the circles of a handoff,
:mod:`~bot.engine.texts.hours` the opening hours, holidays and closures of a service card,
:mod:`~bot.engine.texts.contact` the answers to contact persons, and
:mod:`~bot.engine.texts.notices` the handoff's notices (to either side) and
:mod:`~bot.engine.texts.survey` what a survey's participant reads; all are re-exported here,
so ``texts.case_opened(t, code)`` works for each.
"""

from bot.engine.texts.contact import *  # noqa: F403
from bot.engine.texts.hours import *  # noqa: F403
from bot.engine.texts.local import *  # noqa: F403
from bot.engine.texts.notices import *  # noqa: F403
from bot.engine.texts.report import *  # noqa: F403
from bot.engine.texts.survey import *  # noqa: F403
from bot.engine.texts.user import *  # noqa: F403
