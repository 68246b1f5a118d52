"""A handoff with both people on Matrix, in encrypted direct chats: the contact person registers,
the user consents, the contact is notified in their own chat through the transport's
``deliver``, claims the case with the command, and the two talk through the bot without seeing
each other's account. Fixture content (``tests/fixtures/basic``), the real runtime and store.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.content import load_content
from bot.runtime import Runtime
from testbed.userclient import Received, until
from tests.conftest import basic_paths
from tests.helpers import working_runtime

pytestmark = pytest.mark.channel


@pytest.fixture
async def handoff_runtime(tmp_path) -> AsyncIterator[Runtime]:
    """The runtime over the fixture content, with its handoff worker running as in ``run``."""
    content, problems = load_content(basic_paths())
    assert content is not None, problems
    async with working_runtime(content, tmp_path / "handoff.db", worker_idle=0.2) as runtime:
        yield runtime


def label_with(prompt: Received, fragment: str) -> str:
    found = [label for label in prompt.options if fragment in label]
    assert found, (fragment, prompt.body)
    return found[0]


async def test_handoff_between_two_matrix_users(register, make_bot, make_user, handoff_runtime):
    account = register("bot")
    await make_bot(account, handoff_runtime)
    erika = await make_user("erika")
    await erika.cross_sign()  # contact persons write from a verified device (T12)
    max_ = await make_user("max")

    invitation = await handoff_runtime.handoff.invite("Erika Beispiel", ["BY"], ["threat"])
    erika_room = await erika.create_room([account.user_id], encrypted=True)
    await erika.turn(erika_room)  # the greeting
    await erika.send(erika_room, f"/registrieren {invitation}")
    await until(erika, erika_room, "registriert")

    max_room = await max_.create_room([account.user_id], encrypted=True)
    await max_.turn(max_room)
    await max_.send(max_room, "/start demo")
    question = (await max_.turn(max_room))[-1]
    await max_.send(max_room, label_with(question, "Online"))
    question = (await max_.turn(max_room))[-1]
    if "Bayern" in question.options:
        await max_.send(max_room, "Bayern")
        question = (await max_.turn(max_room))[-1]
    await max_.send(max_room, label_with(question, "Online-Hinweis"))
    consent = (await max_.turn(max_room))[-1]
    assert "Kein Name, kein Text, kein Konto" in consent.body
    await max_.send(max_room, label_with(consent, "über diesen Chat"))

    notice = (await until(erika, erika_room, "Neuer Fall"))[-1]
    assert notice.encrypted
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{2}", notice.body)
    assert code is not None, notice.body
    assert f"/uebernehmen {code.group()}" in notice.body  # Matrix has no buttons: the command
    await erika.send(erika_room, f"/uebernehmen {code.group()}")
    await until(max_, max_room, "übernommen")

    await max_.send(max_room, "Guten Tag, ich brauche Rat.")
    relayed = await until(erika, erika_room, "Guten Tag, ich brauche Rat.")
    assert relayed[-1].encrypted
    await erika.send(erika_room, "Guten Tag, hier ist Ihre Ansprechperson.")
    await until(max_, max_room, "hier ist Ihre Ansprechperson")

    everything = {
        who: "\n".join(m.body + (m.formatted_body or "") for m in await user.silence(room, 0.3))
        for who, user, room in (("erika", erika, erika_room), ("max", max_, max_room))
    }
    seen_by_erika = "\n".join([*(m.body for m in relayed), notice.body, everything["erika"]])
    assert max_.user_id not in seen_by_erika
    assert max_room not in seen_by_erika
    assert erika.user_id not in everything["max"]
    assert max_.undecryptable == erika.undecryptable == 0
