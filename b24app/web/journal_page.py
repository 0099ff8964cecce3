"""The exchange journal page («Журнал обмена»), inside the settings area: every exchange with its time, stream,
direction, CRM entity (linked to its card in the portal) and 1C document, result, duration, items and the error in
plain words; filters by stream, result, entity, base and period; paged by keyset ("newer" / "older"), so a deep
page of a million-row journal costs what the first does (store/journal_query.py).

Administrators only, through the door every settings-area page uses (web/admin_pages.py). Every form is a POST
carrying the signed frame token; the filters and the page position travel in the same form, never in a URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request

from b24app.core.formatting import MOSCOW
from b24app.jobs.dead_letters import one_line
from b24app.runtime import Runtime
from b24app.store.journal import STATUSES
from b24app.store.journal_query import Cursor, JournalFilter, JournalLine, JournalPage, JournalQuery, OneCDocument
from b24app.web.admin_pages import admin_user, answer_refusals
from b24app.web.frame import sign_frame
from b24app.web.journal_texts import direction_name, duration_text, jt, status_name, stream_name

bp = Blueprint("journal", __name__)
answer_refusals(bp, "journal_refused.html", "journal")

ENTITY = re.compile(r"[a-z_]{1,32}:[0-9A-Za-z_\-]{1,64}")
KIND = re.compile(r"[a-z0-9_]{1,64}")
# The portal's own card addresses of the entities a journal row names (what its address bar shows for a card).
CARD_PATHS = {"deal": "/crm/deal/details/{id}/", "company": "/crm/company/details/{id}/",
              "contact": "/crm/contact/details/{id}/"}
ERROR_CHARS = 300  # the page shows the error's last line up to this; the whole text is in the row's title


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


@bp.app_template_global("jt")
def _jt(key: str, lang: str, **params: object) -> str:
    """The page's texts for every template (the settings page links here with them)."""
    return jt(key, lang, **params)


@dataclass
class FilterForm:
    """The filter fields as typed (shown back in the form) and what they mean."""

    kind: str = ""
    status: str = ""
    entity: str = ""
    base: str = ""
    since: str = ""
    until: str = ""
    errors: list[str] = field(default_factory=list)  # text keys of err_* explaining a field left out
    parsed: JournalFilter = field(default_factory=JournalFilter)

    def hidden(self) -> dict[str, str]:
        """The fields a paging form carries along."""
        return {"kind": self.kind, "status": self.status, "entity": self.entity, "base": self.base,
                "since": self.since, "until": self.until}


def parse_day(text: str) -> date | None:
    """A day as a Russian accountant types it (24.11.2026) or as a date input sends it (2026-11-24); ValueError
    for anything else, None for empty."""
    text = text.strip()
    if not text:
        return None
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _moscow_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=MOSCOW).astimezone(UTC)


def read_filter(form, base_ids: set[int]) -> FilterForm:  # noqa: ANN001 - a werkzeug MultiDict
    """The filter of a submitted form. A field that does not parse is left out and named in `errors`."""
    f = FilterForm(kind=form.get("kind", "").strip()[:64], status=form.get("status", "").strip()[:16],
                   entity=form.get("entity", "").strip()[:128], base=form.get("base", "").strip()[:18],
                   since=form.get("since", "").strip()[:10], until=form.get("until", "").strip()[:10])
    kind = f.kind if KIND.fullmatch(f.kind) else None
    status = f.status if f.status in STATUSES else None
    entity = None
    if f.entity:
        b24_type, _, ident = f.entity.partition(":")
        if ENTITY.fullmatch(f"{b24_type.lower()}:{ident}"):
            entity = f"{b24_type.lower()}:{ident}"
        else:
            f.errors.append("err_bad_entity")
    base_id = int(f.base) if f.base.isdigit() and int(f.base) in base_ids else None
    try:
        since_day, until_day = parse_day(f.since), parse_day(f.until)
    except ValueError:
        since_day = until_day = None
        f.errors.append("err_bad_date")
    if since_day and until_day and since_day > until_day:
        since_day = until_day = None
        f.errors.append("err_bad_period")
    f.parsed = JournalFilter(kind=kind, status=status, entity=entity, base_id=base_id,
                             since=_moscow_midnight(since_day) if since_day else None,
                             until=_moscow_midnight(until_day + timedelta(days=1)) if until_day else None)
    return f


def card_url(client_endpoint: str, entity: str | None) -> str | None:
    """The CRM card of `deal:42` / `company:7` / `contact:3` on the portal (its own address, from the endpoint we
    stored at install, never from the request); None for anything else."""
    if not entity or ":" not in entity:
        return None
    b24_type, _, ident = entity.partition(":")
    if b24_type not in CARD_PATHS or not ident.isdigit():
        return None
    parts = urlsplit(client_endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}{CARD_PATHS[b24_type].format(id=ident)}"


def entity_text(entity: str | None, lang: str) -> str:
    if not entity:
        return "—"
    b24_type, _, ident = entity.partition(":")
    key = f"entity_{b24_type}"
    return jt(key, lang, id=ident) if ident and key in {"entity_deal", "entity_company", "entity_contact",
                                                          "entity_invoice"} else entity


def document_text(doc: OneCDocument, lang: str) -> str:
    """`ЗаказКлиента № 00-000123`: the 1C object's kind as its entity set names it, and its number when known."""
    name = doc.onec_set.removeprefix("Document_")
    return f"{name} {jt('number', lang, number=doc.number)}" if doc.number else name


def error_text_of(error: str) -> str:
    """An error on one line in plain words (as the dead letters page words reasons), bounded for a table."""
    text = one_line(error)
    return text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS - 1] + "…"


def error_text(line: JournalLine) -> str:
    return error_text_of(line.error) if line.error else ""


def _page(query: JournalQuery, member_id: str, flt: JournalFilter, form) -> tuple[JournalPage, list[str]]:  # noqa: ANN001
    errors: list[str] = []
    after = before = None
    try:
        if form.get("after"):
            after = Cursor.decode(form["after"][:120])
        elif form.get("before"):
            before = Cursor.decode(form["before"][:120])
    except ValueError:
        errors.append("err_bad_cursor")
    page = query.page(member_id, flt, after=after, before=before)
    if before is not None and not page.lines:
        page = query.page(member_id, flt)  # nothing newer any more (rows removed): the newest page
    return page, errors


@bp.route("/settings/journal", methods=["GET", "POST"])
def page():
    ctx = _ctx()
    user = admin_user(ctx, request)
    record = ctx.portals.require(user.member_id)
    bases = ctx.bases.list(user.member_id)
    query = JournalQuery(ctx.db)
    filters = read_filter(request.form, {b.id for b in bases})
    shown, cursor_errors = _page(query, user.member_id, filters.parsed, request.form)
    lang = user.lang
    return render_template(
        "journal.html", lang=lang, frame=sign_frame(ctx, user), filters=filters,
        errors=[*filters.errors, *cursor_errors], page=shown, bases=bases, kinds=query.kinds(user.member_id),
        statuses=STATUSES, card_url=lambda entity: card_url(record.client_endpoint, entity),
        entity_text=entity_text, document_text=document_text, error_text=error_text, stream_name=stream_name,
        direction_name=direction_name, status_name=status_name, duration_text=duration_text,
        bx24_js_url=ctx.settings.bx24_js_url_for(record.domain),
    ), 200
