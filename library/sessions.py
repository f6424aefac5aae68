"""The session engine: Django's database sessions, which keep no search term past its lifetime.

Reading a session drops its expired terms and writes it back at the end of the
request; writing one never stores them. `manage.py clearsessions` deletes the
expired sessions and drops expired terms from the live ones nobody has used
since, such as a desk PC left signed in (library.search_terms).
"""

from typing import Any

from django.contrib.sessions.backends import db
from django.db import transaction
from django.utils import timezone

from library.search_terms import drop_expired


class SessionStore(db.SessionStore):
    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        data = super().decode(session_data)
        if drop_expired(data):
            self.modified = True  # so the middleware writes the session back without them
        return data

    def encode(self, session_dict: dict[str, Any]) -> str:
        drop_expired(session_dict)
        return super().encode(session_dict)

    @classmethod
    def clear_expired(cls) -> None:
        """Delete expired sessions, then drop expired search terms from the live ones."""
        super().clear_expired()
        model = cls.get_model_class()
        raw = db.SessionStore()
        live = model.objects.filter(expire_date__gte=timezone.now())
        stale = [
            key
            for key, data in live.values_list("session_key", "session_data").iterator()
            if drop_expired(raw.decode(data))
        ]
        for key in stale:
            # Locked and read again, so a request's write in between is not undone.
            with transaction.atomic():
                row = model.objects.select_for_update().filter(session_key=key).first()
                if row is None:  # signed out meanwhile
                    continue
                data = raw.decode(row.session_data)
                if drop_expired(data):
                    row.session_data = raw.encode(data)
                    row.save(update_fields=["session_data"])
