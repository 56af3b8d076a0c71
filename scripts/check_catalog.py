"""Check the English catalog before it is committed: every entry translated and none fuzzy,
``msgfmt --check`` clean, no Chinese left in a translation (a proper name may stay, listed
below), and each translation keeping its msgid's placeholders. Exit status 1 with the list of
what is wrong.

    python scripts/check_catalog.py [locale/en/LC_MESSAGES/django.po]

Needs the GNU gettext tools makemessages uses (msgattrib, msgfmt).
"""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sd]")
# Translations that keep Chinese on purpose: the language menu names each language in itself.
ALLOWED = {"简体中文"}


def _entries(po: Path, *flags: str) -> list[str]:
    out = subprocess.run(["msgattrib", *flags, "--no-wrap", str(po)], capture_output=True, text=True, check=True).stdout
    return [m for m in re.findall(r'^msgid "(.*)"$', out, re.M) if m]  # the header's msgid is ""


def main(po: Path) -> int:
    problems: list[str] = []
    problems += [f"untranslated: {m}" for m in _entries(po, "--untranslated")]
    problems += [f"fuzzy: {m}" for m in _entries(po, "--only-fuzzy")]
    with tempfile.TemporaryDirectory() as tmp:
        mo = Path(tmp) / "django.mo"
        check = subprocess.run(["msgfmt", "--check", "-o", str(mo), str(po)], capture_output=True, text=True)
        problems += [f"msgfmt: {line}" for line in check.stderr.splitlines() if "error" in line or check.returncode]
        catalog = gettext.GNUTranslations(mo.open("rb"))._catalog if mo.exists() else {}  # type: ignore[attr-defined]
    for key, text in catalog.items():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04", 1)[-1]
        if not msgid:
            continue
        if CJK.search(text) and text not in ALLOWED:
            problems.append(f"Chinese in the translation of {msgid!r}: {text!r}")
        if sorted(set(PLACEHOLDER.findall(msgid))) != sorted(set(PLACEHOLDER.findall(text))):
            problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    for problem in problems:
        print(problem)
    print(f"{po}: {len(catalog)} translations, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else PO))
