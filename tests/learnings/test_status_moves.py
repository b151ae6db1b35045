"""A learning's status moves: every move its page offers is made by the service, and every
move the page does not offer is refused with its reason.

Generated from what the page offers (which reads the model's table), not from a copy of the
table: a move added to or taken from the table is checked without touching this module.
"""

import re

import pytest
from django.core.exceptions import ValidationError

from learnings.models import Learning, LearningStatus
from learnings.services import learning_change_status

# Why a move the page does not offer is refused, by the status the learning is in.
REFUSAL = {
    "draft": "A draft learning can't become {to}.",
    "proposed": "A proposed learning can't become {to}.",
    "adopted": "An adopted learning can't become {to}.",
    "retired": "A retired learning has to be reopened before it can be proposed or adopted.",
}
MOVES = [(current, to) for current in LearningStatus.values for to in LearningStatus.values
         if to != current]


def offered(client, learning: Learning) -> list[str]:
    """The statuses the learning page's status buttons post, in the order shown."""
    html = client.get(learning.get_absolute_url()).content.decode()
    start = html.index('<section id="learning-status"')
    block = html[start:html.index("</section>", start)]
    return re.findall(r'<input type="hidden" name="status" value="([a-z]+)">', block)


@pytest.fixture
def learning_in(team, manager):
    def make(status: str) -> Learning:
        learning = Learning.objects.create(team=team, title="Pause the queue", status=status,
                                           created_by=manager)
        assert learning.history.count() == 1
        return learning
    return make


@pytest.mark.parametrize("current", LearningStatus.values)
def test_the_page_offers_a_way_out_of_every_status(client, manager, learning_in, current):
    client.force_login(manager)
    moves = offered(client, learning_in(current))
    assert moves
    assert current not in moves
    assert len(set(moves)) == len(moves)


@pytest.mark.parametrize(("current", "to"), MOVES)
def test_a_move_the_page_offers_is_made_and_any_other_is_refused_with_its_reason(
        client, manager, learning_in, current, to):
    learning = learning_in(current)
    client.force_login(manager)
    if to in offered(client, learning):
        learning_change_status(user=manager, learning=learning, status=to, reason="Superseded")
        learning.refresh_from_db()
        assert (learning.status, learning.status_changed_by) == (to, manager)
        assert learning.history.count() == 2
    else:
        with pytest.raises(ValidationError) as refused:
            learning_change_status(user=manager, learning=learning, status=to,
                                   reason="Superseded")
        # "An adopted", not "A adopted": the message is read by people.
        assert refused.value.message_dict == {"status": [REFUSAL[current].format(to=to)]}
        learning.refresh_from_db()
        assert (learning.status, learning.status_changed_by) == (current, None)
        assert learning.history.count() == 1


def test_a_retired_learning_is_reopened_before_it_can_be_adopted_again(
        manager, learning_in):
    learning = learning_in(LearningStatus.RETIRED)
    with pytest.raises(ValidationError):
        learning_change_status(user=manager, learning=learning, status="adopted")
    learning_change_status(user=manager, learning=learning, status="draft")
    learning_change_status(user=manager, learning=learning, status="adopted")
    learning.refresh_from_db()
    assert learning.status == LearningStatus.ADOPTED
