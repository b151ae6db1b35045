"""The learning side of pages served by earlier apps: the incident page's learnings,
precedents and repeat-cause warning. Incidents' templates load this; incidents' Python never
imports learnings (DESIGN, rule 8)."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("learnings/partials/incident_panel.html", takes_context=True)
def incident_learnings(context, incident):
    """Learnings drawn from this incident, the reader's precedents for its primary cause,
    library incidents with the same cause, and whether it repeats an adopted learning."""
    user = context["request"].user
    return {
        "incident": incident,
        "request": context["request"],
        "can_draw": selectors.learning_draft_teams(user=user, incidents=[incident]).exists(),
        "linked": selectors.incident_learning_list(user=user, incident=incident),
        # The reader's teams, as the page's header already read them: no query more.
        "precedents": selectors.learning_precedents(
            user=user, incident=incident, team_ids=context.get("my_team_ids")),
        "library": selectors.library_precedents(user=user, incident=incident),
        "repeat_of": selectors.incident_repeat_of(user=user, incident=incident),
    }
