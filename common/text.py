"""The one definition of how long free text may be, for forms, services and (later) the API.

Markdown rendering grows faster than the text (nested brackets: quadratically), so a bound on
length is also a bound on the time one page view can cost.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

# Long Markdown fields: an incident's summary, a learning's lesson and practice.
LONG_TEXT_MAX = 20_000
# Why a learning was retired.
REASON_MAX = 2_000
# What a search reads of its text: longer is no longer a search, and SQLite refuses a LIKE
# pattern over 50,000 bytes.
SEARCH_TEXT_MAX = 200


def search_text(text: str) -> str:
    """A search's words, spaces collapsed, cut to SEARCH_TEXT_MAX characters."""
    return " ".join(text.split())[:SEARCH_TEXT_MAX].strip()


def too_long_message(limit: int, length: int) -> str:
    return (f"Keep this to {limit:,} characters (it has {length:,}): link to a longer "
            "document instead.")


class TextLengthValidator(MaxLengthValidator):
    """Django's max length check, with the message above."""

    def __call__(self, value):
        if value is not None and len(value) > self.limit_value:
            raise ValidationError(too_long_message(self.limit_value, len(value)),
                                  code="max_length")


def limit_length(field, limit: int) -> None:
    """Bound a form field's length with a message beside it.

    No maxlength attribute in the page: a browser would cut a long paste silently.
    """
    field.validators.append(TextLengthValidator(limit))


def check_lengths(**fields: tuple[str | None, int]) -> None:
    """Raise ValidationError({field: message}) for every (value, limit) that is too long."""
    errors = {name: too_long_message(limit, len(value))
              for name, (value, limit) in fields.items() if value and len(value) > limit}
    if errors:
        raise ValidationError(errors)
