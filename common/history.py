"""History: who changed what, when. django-simple-history records each write; this module
names the acting person in those records."""


def attribute_history(obj, user) -> None:
    """Name the acting user in the history records this object's next writes leave.

    The request middleware only knows the user inside a web request; services also run from
    commands and tasks, and always know who is acting.
    """
    obj._history_user = user
