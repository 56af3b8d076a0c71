"""Text in the reader's language where it is composed or was stored in Chinese.

Chinese is the msgid language: messages stored in the database (an import's row errors, a job's
summary, a fixed vocabulary word) are the Chinese text ``gettext(msgid) % params`` made. Pages
translate them when they show them (:func:`translate_stored`), so one job reads in Chinese to one
user and in English to another. Lists and label/value pairs are composed through translatable
separators (:func:`join_list`), never a hard-coded "、" or "：".

A description composed for the record from names and words of ours (a due item's object, a
notification) is made by :func:`stored_format` from a msgid of the context ``STORED_FORMAT``
and read back by :func:`translate_composed`, its words translated and its names as stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext, trans_real

_CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
# A named python-format placeholder: %(n)s, %(n)d, %(ratio).1f …
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
_CLAUSE = "；"


def join_list(items: Iterable[Any]) -> str:
    """"A、B、C" in Chinese, "A, B, C" in English."""
    return pgettext("list separator", "、").join(str(i) for i in items)


def join_clauses(messages: Iterable[Any]) -> str:
    """Several messages in one line: "；" between them in Chinese, "; " in English."""
    return pgettext("clause separator", "；").join(str(m) for m in messages)


def fixed_labels(choices: Any) -> dict[str, str]:
    """``{value: label}`` of a model's choices in Chinese, whatever the active language: the fixed
    vocabulary of the spreadsheets and of stored records (pages show the translated label)."""
    with translation.override(settings.LANGUAGE_CODE):
        return {str(value): str(label) for value, label in choices.choices}


def fixed_label(choices: Any, value: str) -> str:
    """The Chinese label of one value (``fixed_labels`` for a single lookup)."""
    return fixed_labels(choices).get(str(value), str(value))


def _pattern(msgid: str) -> re.Pattern[str] | None:
    """A regex matching ``msgid % params`` for any params, capturing each named parameter."""
    parts = _PLACEHOLDER.split(msgid)  # literal, name, literal, name, …, literal
    literals = parts[0::2]
    if not _IDEOGRAPH.search("".join(literals)):
        return None  # an English (Django) msgid, or placeholders around punctuation ("%(a)s：%(b)s")
    seen: set[str] = set()
    regex = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex.append(re.escape(part.replace("%%", "%")))
        elif part in seen:
            regex.append(f"(?P={part})")
        else:
            seen.add(part)
            regex.append(f"(?P<{part}>.+?)")
    return re.compile("".join(regex), re.S)


@lru_cache(maxsize=8)
def _formatted_msgids(language: str) -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    """The catalog's Chinese msgids with named placeholders, most literal text first (the most
    specific match wins), each with its literal prefix and suffix for a cheap pre-check."""
    catalog = trans_real.translation(language)._catalog
    found = []
    for msgid in catalog.keys():  # noqa: SIM118 (a TranslationCatalog is not iterable)
        if not isinstance(msgid, str) or "\x04" in msgid or "%(" not in msgid:
            continue  # plural forms and contexts: never stored
        pattern = _pattern(msgid)
        if pattern is None:
            continue
        parts = _PLACEHOLDER.split(msgid)
        found.append((msgid, parts[0].replace("%%", "%"), parts[-1].replace("%%", "%"), pattern))
    found.sort(key=lambda f: -len(_PLACEHOLDER.sub("", f[0])))
    return tuple(found)


def _translate_formatted(text: str) -> str | None:
    for msgid, prefix, suffix, pattern in _formatted_msgids(translation.get_language() or settings.LANGUAGE_CODE):
        if not (text.startswith(prefix) and text.endswith(suffix)):
            continue
        match = pattern.fullmatch(text)
        if match is None:
            continue
        # Parameters are shown as stored: they are user data (a file's headers, a value typed),
        # or words the user must type in Chinese (the spreadsheets' vocabulary).
        params = match.groupdict()
        try:
            return gettext(msgid) % params
        except TypeError:  # a %(n)d placeholder: its digits were captured as text
            numbers = {k: int(v) if v.lstrip("-").isdigit() else v for k, v in params.items()}
            try:
                return gettext(msgid) % numbers
            except (KeyError, TypeError, ValueError):
                continue
        except (KeyError, ValueError):
            continue
    return None


def translate_stored(text: Any) -> str:
    """Stored Chinese text in the active language.

    The text is looked up as a msgid, then matched against the catalog's formatted msgids
    ("已导入 %(n)s 行" stored as "已导入 3 行"; the parameters stay as stored); text made of
    clauses joined by "；" is translated clause by clause.
    Text that is none of these (user data, a message stored in English) comes back unchanged.
    """
    if text is None:
        return ""
    text = str(text)
    language = translation.get_language() or settings.LANGUAGE_CODE
    if not text or language == settings.LANGUAGE_CODE or not _CJK.search(text):
        return text  # Chinese pages show the stored Chinese; ASCII needs no translation
    translated = gettext(text)
    if translated != text:
        return translated
    formatted = _translate_formatted(text)
    if formatted is not None:
        return formatted
    if _CLAUSE in text:
        clauses = text.split(_CLAUSE)
        done = [translate_stored(c) for c in clauses]
        if done != clauses:
            return pgettext("clause separator", "；").join(done)
    return text


# --------------------------------------------------------------------------------------------
# Compositions stored for the record

# The pgettext context of a composition stored in Chinese. Calls spell it as a literal,
# ``pgettext_lazy("stored format", …)``: makemessages reads literals only.
STORED_FORMAT = "stored format"
# Parameters of a stored format that are names or codes: shown as stored, never looked up (a
# task named like a word of ours stays its name). Any other parameter is a word of ours or a
# composition itself (a kind's label, a rule's source, a batch's name, a period).
NAMES = frozenset({"name", "task", "org", "uid", "key", "cert", "date", "due"})
# Codes and numbers hold no CJK: a composition of punctuation alone ("%(task)s（%(uid)s）") does not match
# any name with brackets in it ("计划（送审稿）").
_CODES = frozenset({"uid", "key", "date", "due", "n", "year", "version"})
# Names joined in the stored (Chinese) text by the list separator ("A、B"): shown joined by the
# active language's separator, each name as stored.
NAME_LISTS = frozenset({"orgs"})
STORED_LIST_SEPARATOR = "、"
_NO_CJK = r"[^\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+?"


def stored_format(message: Any, params: dict[str, Any]) -> str:
    """``message`` (``pgettext_lazy(STORED_FORMAT, …)``) formatted in Chinese for the record,
    whatever the active language (lazy parameters too); :func:`translate_composed` reads it back."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % {k: str(v) for k, v in params.items()}


@lru_cache(maxsize=8)
def _stored_formats(language: str) -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    """The catalog's ``STORED_FORMAT`` msgids, most literal text first, with prefix and suffix."""
    catalog = trans_real.translation(language)._catalog
    marker = STORED_FORMAT + "\x04"
    found = []
    for key in catalog.keys():  # noqa: SIM118 (a TranslationCatalog is not iterable)
        if not isinstance(key, str) or not key.startswith(marker) or "%(" not in key:
            continue
        msgid = key.removeprefix(marker)
        parts = _PLACEHOLDER.split(msgid)  # literal, name, literal, name, …, literal
        regex, seen = [], set()
        for index, part in enumerate(parts):
            if index % 2 == 0:
                regex.append(re.escape(part.replace("%%", "%")))
            elif part in seen:
                regex.append(f"(?P={part})")
            else:
                seen.add(part)
                regex.append(f"(?P<{part}>{_NO_CJK if part in _CODES else '.+?'})")
        found.append((msgid, parts[0].replace("%%", "%"), parts[-1].replace("%%", "%"), re.compile("".join(regex), re.S)))
    found.sort(key=lambda f: -len(_PLACEHOLDER.sub("", f[0])))
    return tuple(found)


def translate_composed(text: Any) -> str:
    """A text :func:`stored_format` made, in the active language: matched against the stored
    formats, each parameter translated in turn (a msgid, or a stored format itself) unless it is
    a name or a code (``NAMES``); a text of several lines line by line. Anything else — a name
    stored as the whole description — comes back unchanged.
    """
    if text is None:
        return ""
    text = str(text)
    language = translation.get_language() or settings.LANGUAGE_CODE
    if not text or language == settings.LANGUAGE_CODE or not _CJK.search(text):
        return text
    translated = gettext(text)
    if translated != text:
        return translated
    if "\n" in text:
        return "\n".join(translate_composed(line) for line in text.split("\n"))
    # Several formats may match one text (a name may hold another format's literal): the reading
    # that leaves the least Chinese is the one whose words were all recognised; on a tie, the
    # format with the most literal text.
    best, best_left = text, len(_CJK.findall(text))
    for msgid, prefix, suffix, pattern in _stored_formats(language):
        if not (text.startswith(prefix) and text.endswith(suffix)):
            continue
        match = pattern.fullmatch(text)
        if match is None:
            continue
        params = {
            k: join_list(v.split(STORED_LIST_SEPARATOR)) if k in NAME_LISTS else v if k in NAMES else translate_composed(v)
            for k, v in match.groupdict().items()
        }
        try:
            reading = pgettext(STORED_FORMAT, msgid) % params
        except (KeyError, TypeError, ValueError):
            continue
        left = len(_CJK.findall(reading))
        if left < best_left or best is text:
            best, best_left = reading, left
        if left == 0:
            break
    return best
