"""Base classes of every form of our apps: each text field refuses control characters.

Forms derive from :class:`Form` or :class:`ModelForm` (or mix :class:`TextInputsMixin` into
their own base). The rule is put on ``self.fields`` when the form is cleaned, so fields that a
form adds or replaces in ``__init__`` are covered too. ``tests/api/test_control_chars.py``
fails for a form class of our apps that does not take it.
"""

from __future__ import annotations

from django import forms

from .validators import guard_form_field


class TextInputsMixin:
    """Every ``CharField`` refuses C0 control characters (a ``Textarea`` allows tab and line breaks)."""

    def full_clean(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            guard_form_field(field)
        super().full_clean()  # type: ignore[misc]


class Form(TextInputsMixin, forms.Form):
    pass


class ModelForm(TextInputsMixin, forms.ModelForm):
    pass
