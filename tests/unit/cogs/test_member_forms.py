"""Every form (modal) is opened for one member: its custom_id carries the member's id.

discord.py keeps an open modal by its custom_id alone and forgets it when it is submitted, so two members with the
same form open at once need different ids, or the first submit drops the other's form ("This interaction failed").
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

import pytest

import cogs
from bot.interviews.mock_service import FeedbackTarget
from bot.ui.errors import CUSTOM_ID_LIMIT, BaseModal, member_form_id
from cogs.interviews_mock import MockFeedbackModal
from cogs.knowledge import VoteNoteModal
from cogs.onboarding.flow import GroupModal
from cogs.server_knowledge import ServerEntryModal

LARGEST_USER_ID = 2**64 - 1
"""Discord ids are unsigned 64-bit snowflakes: the longest id a form's custom_id can carry."""


def every_form() -> list[type[BaseModal]]:
    for module in pkgutil.walk_packages(cogs.__path__, f"{cogs.__name__}."):
        importlib.import_module(module.name)
    found: list[type[BaseModal]] = []
    pending = list(BaseModal.__subclasses__())
    while pending:
        form = pending.pop()
        found.append(form)
        pending.extend(form.__subclasses__())
    return found


def test_two_members_get_different_ids_within_discords_limit() -> None:
    alice, bob = (BaseModal(title="Check in", form="sg:modal:7", user_id=user) for user in (1, LARGEST_USER_ID))
    assert alice.custom_id == "sg:modal:7:1" and bob.custom_id == f"sg:modal:7:{LARGEST_USER_ID}"
    with pytest.raises(ValueError, match="100 characters"):
        member_form_id("x" * (CUSTOM_ID_LIMIT - 1), 1)


def test_every_form_takes_the_member_and_passes_it_to_its_id() -> None:
    # Structural, so a new form cannot forget it: BaseModal builds the custom_id from `form` and `user_id` (it takes
    # no custom_id), every subclass must be given the member, and none sets its own custom_id afterwards.
    forms = every_form()
    assert len(forms) >= 9, [f.__name__ for f in forms]
    for form in forms:
        user_id = inspect.signature(form.__init__).parameters.get("user_id")
        assert user_id is not None, f"{form.__name__} does not take the member it is opened for"
        assert user_id.kind is inspect.Parameter.KEYWORD_ONLY and user_id.default is inspect.Parameter.empty
        source = inspect.getsource(form)
        assert "user_id=user_id" in source and "self.custom_id" not in source, form.__name__


@pytest.mark.parametrize(
    "open_for",
    [
        lambda user: VoteNoteModal("a" * 60, None, user_id=user),
        lambda user: GroupModal(LARGEST_USER_ID, {}, user_id=user),
        lambda user: MockFeedbackModal(FeedbackTarget(LARGEST_USER_ID, 2, 3, None), user_id=user),
        lambda user: ServerEntryModal(LARGEST_USER_ID, {}, user_id=user),
    ],
    ids=["VoteNoteModal", "GroupModal", "MockFeedbackModal", "ServerEntryModal"],
)
def test_the_same_form_opened_by_two_members_has_two_ids(open_for: Callable[[int], BaseModal]) -> None:
    alice, bob = open_for(1), open_for(LARGEST_USER_ID)
    assert alice.custom_id != bob.custom_id
    assert len(bob.custom_id) <= CUSTOM_ID_LIMIT
