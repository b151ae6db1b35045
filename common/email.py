"""Sending multipart email from a pair of templates (<name>.txt and <name>.html)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_email(*, template: str, to: list[str], context: dict,
                         headers: dict | None = None) -> str:
    """Render <template>_subject.txt, .txt and .html and send them; return the Message-ID."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=to,
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return message.message()["Message-ID"]
