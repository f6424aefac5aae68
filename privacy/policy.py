"""The policy engine: the library's confidentiality policy as a pure function.

Filled in by the privacy core; the enums here are shared by every app.
"""

from django.db import models


class DataCategory(models.TextChoices):
    """What kind of patron data a read is about (CONF-6); presence is not protected (FAC-1)."""

    IDENTITY = "identity", "Identity and account details"
    CIRCULATION = "circulation", "Current loans, holds and fines"
    READING_HISTORY = "reading_history", "Reading history"
    ONLINE_SERVICES = "online_services", "Computers and online services used"
    REFERENCE = "reference", "Reference consultations"
    EVENTS = "events", "Event and communication sign-ups"
    PRESENCE = "presence", "Presence in a library building"

    @property
    def is_protected(self) -> bool:
        return self is not DataCategory.PRESENCE
