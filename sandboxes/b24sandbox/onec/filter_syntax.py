"""Parser of the `$filter` language (and of `Condition` parameters of virtual tables).

Operators, their priority and the literal notations are those of the platform docs (hacker-cb/1c-odata,
docs/1c/markdown/, 17.4.2 for `guid'…'` / `datetime'…'` and 17.4.5.2 «$filter» for operators, functions and
lambda `any`/`all`). The parser yields a small tuple-based tree that `filter_eval` compiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from b24sandbox.onec.errors import query_parse_error

KEYWORDS_BINARY = {
    "or": 1,
    "and": 2,
    "eq": 3,
    "ne": 3,
    "gt": 4,
    "ge": 4,
    "lt": 4,
    "le": 4,
    "add": 5,
    "sub": 5,
    "mul": 6,
    "div": 6,
    "mod": 6,
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<guid>guid'(?P<guid_v>[0-9a-fA-F-]{36})')
  | (?P<datetime>datetime'(?P<dt_v>[0-9T:.\-]+)')
  | (?P<string>'(?P<str_v>(?:[^']|'')*)')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
  | (?P<ident>[^\W\d][\w$]*|\$\w+)
  | (?P<punct>[(),/:])
    """,
    re.VERBOSE | re.UNICODE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    value: object
    pos: int


def normalize_datetime(text: str) -> str:
    """`2014-01-01` / `2014-01-01T10:00` → the 19-character form 1C stores and returns."""
    text = text.split(".")[0]
    if "T" not in text:
        text += "T00:00:00"
    day, time = text.split("T")
    parts = (time.split(":") + ["00", "00"])[:3]
    value = f"{day}T{':'.join(p.zfill(2) for p in parts)}"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", value):
        raise query_parse_error(f"неверный литерал даты datetime'{text}'")
    return value


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise query_parse_error(f"неожиданный символ в позиции {pos + 1}: {text[pos:pos + 10]!r}")
        kind = m.lastgroup
        if kind in ("guid_v", "dt_v", "str_v"):
            kind = {"guid_v": "guid", "dt_v": "datetime", "str_v": "string"}[kind]
        if m.group("guid"):
            tokens.append(Token("lit", m.group("guid_v").lower(), pos))
        elif m.group("datetime"):
            tokens.append(Token("lit", normalize_datetime(m.group("dt_v")), pos))
        elif m.group("string") is not None:
            tokens.append(Token("lit", m.group("str_v").replace("''", "'"), pos))
        elif m.group("number"):
            raw = m.group("number").rstrip("mMdDfFlL")
            value: object = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token("lit", value, pos))
        elif m.group("ident"):
            word = m.group("ident")
            low = word.lower()
            if low in ("true", "false"):
                tokens.append(Token("lit", low == "true", pos))
            elif low == "null":
                tokens.append(Token("lit", None, pos))
            else:
                tokens.append(Token("ident", word, pos))
        elif m.group("punct"):
            tokens.append(Token(m.group("punct"), m.group("punct"), pos))
        pos = m.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self, kind: str | None = None) -> Token:
        tok = self.tokens[self.i]
        if kind is not None and tok.kind != kind:
            raise query_parse_error(f"ожидалось «{kind}» в позиции {tok.pos + 1}")
        self.i += 1
        return tok

    def binary_op(self) -> str | None:
        tok = self.peek()
        if tok.kind == "ident" and str(tok.value).lower() in KEYWORDS_BINARY:
            return str(tok.value).lower()
        return None

    def expression(self, min_prio: int = 1) -> tuple:
        left = self.unary()
        while True:
            op = self.binary_op()
            if op is None or KEYWORDS_BINARY[op] < min_prio:
                return left
            self.take()
            right = self.expression(KEYWORDS_BINARY[op] + 1)
            left = ("bin", op, left, right)

    def unary(self) -> tuple:
        tok = self.peek()
        if tok.kind == "ident" and str(tok.value).lower() == "not":
            self.take()
            return ("not", self.unary())
        return self.primary()

    def primary(self) -> tuple:
        tok = self.take()
        if tok.kind == "lit":
            return ("lit", tok.value)
        if tok.kind == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if tok.kind == "ident":
            if self.peek().kind == "(":
                return self.call(str(tok.value))
            return self.path(str(tok.value))
        raise query_parse_error(f"неожиданная лексема в позиции {tok.pos + 1}")

    def call(self, name: str) -> tuple:
        self.take("(")
        args: list[tuple] = []
        if self.peek().kind != ")":
            args.append(self.expression())
            while self.peek().kind == ",":
                self.take()
                args.append(self.expression())
        self.take(")")
        node: tuple = ("call", name.lower(), args)
        # cast(...)/Field navigates into the cast value (17.4.5.2, the МаршрутныйЛист example).
        if self.peek().kind == "/":
            self.take()
            return self.path(str(self.take("ident").value), base=node)
        return node

    def path(self, first: str, base: tuple | None = None) -> tuple:
        segments = [first]
        while self.peek().kind == "/":
            self.take()
            name = str(self.take("ident").value)
            if name.lower() in ("any", "all") and self.peek().kind == "(":
                return self.lambda_(segments, name.lower(), base)
            segments.append(name)
        return ("path", segments, base)

    def lambda_(self, segments: list[str], kind: str, base: tuple | None) -> tuple:
        self.take("(")
        if self.peek().kind == ")":
            self.take()
            return ("lambda", segments, kind, None, None)
        var = str(self.take("ident").value)
        self.take(":")
        body = self.expression()
        self.take(")")
        return ("lambda", segments, kind, var, body)


def parse_filter(text: str) -> tuple:
    """Parse a `$filter` expression into a tree; raises ODataError code 14 on bad syntax."""
    parser = _Parser(text)
    tree = parser.expression()
    if parser.peek().kind != "end":
        raise query_parse_error(f"лишний текст в позиции {parser.peek().pos + 1}")
    return tree
