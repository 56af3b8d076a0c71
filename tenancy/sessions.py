"""The session store (``SESSION_ENGINE``): Django's database store, except that a request which
only read the session moves its expiry and leaves its data alone.

Sessions are saved on every request so that the two idle hours count from the last one
(``SESSION_SAVE_EVERY_REQUEST``). Django's store writes back the whole session it loaded, so a
request that began before an organization switch and ended after it — a dashboard panel still
loading — put the old organization back: the user switched and the next page showed the old one.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None or self.modified:
            super().save(must_create=must_create)
            return
        moved = self.model.objects.filter(session_key=self.session_key).update(expire_date=self.get_expiry_date())
        if not moved:
            raise UpdateError  # logged out meanwhile: as Django's store, the session is not brought back
