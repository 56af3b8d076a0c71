"""Forms of sampling by area: plans, draws (the ceremony), recusals, filings. They only parse;
services decide, and ``apply_service_errors`` puts what a service refused back on the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's errors on the form: on the field of that name, else above the form."""
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            target = key if key in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
