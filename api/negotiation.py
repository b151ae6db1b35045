"""Content negotiation: `?format=` names one of the endpoint's formats (json, and csv on the
lists that export it); any other is a 400 naming `format`, not DRF's 404."""

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

# The browsable API's format: for browsers, not a format to ask for by name.
HIDDEN = {"api"}


class ContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        found = [renderer for renderer in renderers if renderer.format == format]
        if not found:
            formats = " or ".join(dict.fromkeys(
                renderer.format for renderer in renderers if renderer.format not in HIDDEN))
            raise ValidationError({"format": [f"Not a format of this endpoint: give {formats}."]})
        return found
