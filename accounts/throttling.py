"""What sign-in throttling (django-axes) and the email limits count by."""

from axes.helpers import get_client_ip_address
from django.http import HttpRequest


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The address tried, as accounts store it: "Maya@X.com" and "maya@x.com " count as one."""
    value = (credentials or {}).get("username")
    if value is None:
        value = request.POST.get("username")
    if value is None:
        return None
    return str(value).strip().lower()[:255]


def client_ip(request: HttpRequest) -> str:
    """The client's IP, found the same way as for sign-in throttling."""
    return get_client_ip_address(request) or "unknown"
