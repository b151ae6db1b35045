"""Reading a page's form as a browser would send it, for tests that post a real page back."""

from html.parser import HTMLParser


class FormFields(HTMLParser):
    """What a browser sends for the form with this id: its fields and values as shown (no
    submit button, so the admin takes the plain Save)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or not attrs.get("name") and tag != "option" or "disabled" in attrs:
            return
        kind = attrs.get("type", "text")
        if tag == "input" and kind not in ("submit", "button", "checkbox", "radio"):
            self.add(attrs["name"], attrs.get("value") or "")
        elif tag == "input" and kind in ("checkbox", "radio") and "checked" in attrs:
            self.add(attrs["name"], attrs.get("value") or "on")
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.add(self.select, attrs.get("value") or "")
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.add(self.textarea, "")

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # Django renders a newline after <textarea>, which browsers drop.
            self.data[self.textarea][-1] = self.data[self.textarea][-1].removeprefix("\n")
            self.textarea = None


def form_fields(html: str, form_id: str) -> dict[str, list[str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.data
