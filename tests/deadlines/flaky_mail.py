"""An e-mail backend that loses the connection on its first message (a mail server restarting)."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

FAILURES = {"left": 0}


class EmailBackend(LocmemBackend):
    def send_messages(self, messages):
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
