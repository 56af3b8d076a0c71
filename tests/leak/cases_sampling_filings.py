"""Leak-matrix entries for filing (备案) URLs."""

from __future__ import annotations

from tests.factories import make_completed_draw, make_filing, make_filing_attachment, make_filing_with_annex

from .registry import Case


class _Scan:
    """A signed scan as the test client uploads it: read afresh for every request of the matrix."""

    name = "签字扫描件.pdf"
    content_type = "application/pdf"

    def read(self) -> bytes:
        return b"%PDF-1.7\n% signed scan\n%%EOF\n"


FACTORIES = {
    "filing": make_filing,
    "filing_draw": make_completed_draw,
    "filing_annex": make_filing_with_annex,
    "filing_attachment": make_filing_attachment,
}

_ALL_VIEWERS = {"A1": "A1", "AO": "A1"}

CASES = {
    "sampling:filing_list": Case(factory="filing", kind="list", query="tab=all"),
    "sampling:filing_detail": Case(factory="filing"),
    "sampling:filing_pdf": Case(factory="filing"),
    "sampling:filing_annex": Case(factory="filing_annex"),
    "sampling:filing_attachment": Case(factory="filing_attachment"),
    # The filer adds files; an office sees the filing but did not file it (403), others get 404.
    "sampling:filing_attach": Case(factory="filing", method="post", data={"attachments": _Scan()}, viewers=("A1",)),
    "sampling:filing_preview": Case(factory="filing"),
    "sampling:filing_record": Case(factory="filing"),
    "sampling:filing_decide": Case(
        factory="filing", method="post", data={"decision": "acknowledged", "reason": ""}, viewers=("AO",),
        own={"AO": "A1"},
    ),
    "sampling:filing_resubmit": Case(factory="filing", method="post", data={"note": "x"}, viewers=("A1",), expect_owner_ok=False),
    "sampling:filing_submit": Case(factory="filing_draw", method="post", data={"note": "x"}, viewers=("A1",)),
    "api:filing-list": Case(factory="filing", kind="list"),
    "api:filing-detail": Case(factory="filing"),
    "api:filing-decide": Case(
        factory="filing", method="post", data={"decision": "acknowledged"}, viewers=("AO",), own={"AO": "A1"}
    ),
}
