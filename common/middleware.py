"""Refuse requests carrying NUL characters before any view sees them."""

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render

NUL = "\x00"
MESSAGE = ("What was sent holds a character no text can contain (a NUL, often pasted from "
           "another program). Retype or remove the pasted part, then try again.")


def _holds_nul(data: QueryDict) -> bool:
    return bool(_names_with_nul(data))


def _names_with_nul(data: QueryDict) -> list[str]:
    return [key.replace(NUL, "") for key, values in data.lists()
            if NUL in key or any(NUL in value for value in values)]


# The REST API answers in JSON, in the shape of its other errors (api/errors.py).
API_PREFIX = "/api/"


class RejectNulMiddleware:
    """Answer 400 to a query string or form body that contains a NUL character.

    No text a person types holds one, PostgreSQL cannot store or compare one (a NUL in a
    search used to answer 500), and checking here covers every page and parameter at once.
    The 400 page says what happened; going back keeps what was typed in the form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A malformed multipart body raises here; Django answers that with a 400 of its own.
        refused = _holds_nul(request.GET) or (
            request.method == "POST" and _holds_nul(request.POST))
        if not refused:
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            names = _names_with_nul(request.GET) or ["body"]
            return JsonResponse({"detail": MESSAGE, "errors": {name: [MESSAGE] for name in names}},
                                status=400)
        if request.headers.get("HX-Request") == "true":
            # Above the section the form sits in, leaving the form and what was typed as is.
            response = HttpResponse(f'<p class="alert alert-error" role="alert">{MESSAGE}</p>',
                                    status=400)
            response["HX-Reswap"] = "beforebegin"
            return response
        return render(request, "400.html", {"message": MESSAGE}, status=400)
