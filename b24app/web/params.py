"""Reading what Bitrix24 sends: some parameters arrive in the query string, the rest in the form body
(api-reference/widgets/crm/detail-tab.md), events as PHP-style nested form keys (`auth[member_id]`)."""

from __future__ import annotations

from flask import Request


def portal_param(req: Request, name: str, default: str = "") -> str:
    """A parameter from the body, else the query string (the portal splits them between the two)."""
    value = req.form.get(name)
    if value is None:
        value = req.args.get(name)
    return (value if value is not None else default).strip()


def nested(req: Request, group: str, name: str, default: str = "") -> str:
    """`group[name]` from a form-encoded event body."""
    return (req.form.get(f"{group}[{name}]") or default).strip()


def lang_of(value: str | None) -> str:
    """Pages speak Russian first; English for every other interface language."""
    return "ru" if (value or "ru").lower() in {"ru", "ua", "by", "kz"} else "en"
