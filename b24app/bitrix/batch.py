"""Splitting commands into ``batch`` calls and mapping the answers back to the caller's keys.

Facts from ``settings/how-to-call-rest-api/batch.md``:
- at most 50 sub-requests per call (``ERROR_BATCH_LENGTH_EXCEEDED`` beyond), and the whole call counts as ONE
  request for the rate limit (``limits.md``);
- ``cmd[key]=method?<query>``; keys may be numeric or names; ``$result[key][field]`` in a later command's
  parameters refers to an earlier command's result in the same call;
- the answer is ``result: {result, result_error, result_total, result_next, result_time}``, each keyed by the
  command key; an empty section is a JSON list ``[]`` (PHP's empty array), and a section whose keys are exactly
  0..n-1 is a JSON list too;
- ``halt=1`` stops the chain at the first failing command: later commands have neither result nor error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from b24app.bitrix.encoding import batch_command
from b24app.bitrix.errors import BitrixError

BATCH_LIMIT = 50

Params = Mapping[str, Any] | None
Commands = Mapping[Hashable, tuple[str, Params]] | Sequence[tuple[str, Params]]

_REFERENCE = re.compile(r"\$result(?:_[a-z]+)?\[([^\]]+)\]")


@dataclass(frozen=True)
class Command:
    key: Hashable  # the caller's key (the index for a sequence of commands)
    wire_key: str  # the key sent as cmd[<wire_key>]
    method: str
    params: Params


@dataclass
class BatchResult:
    """Outcome of every command, keyed as the caller keyed the commands."""

    results: dict[Hashable, Any] = field(default_factory=dict)
    errors: dict[Hashable, BitrixError] = field(default_factory=dict)
    totals: dict[Hashable, int] = field(default_factory=dict)
    nexts: dict[Hashable, int] = field(default_factory=dict)
    times: dict[Hashable, Mapping[str, Any]] = field(default_factory=dict)
    not_run: list[Hashable] = field(default_factory=list)  # skipped because ``halt`` stopped the chain
    calls: int = 0  # HTTP batch calls made

    @property
    def ok(self) -> bool:
        """True when every command ran and none failed."""
        return not self.errors and not self.not_run

    def raise_first_error(self) -> None:
        """Raise the error of the first failed command, if any (for callers that want all-or-nothing)."""
        for error in self.errors.values():
            raise error


def commands_of(commands: Commands) -> list[Command]:
    """Normalise a mapping or a sequence of ``(method, params)`` into Commands, in order."""
    if isinstance(commands, Mapping):
        items: list[tuple[Hashable, tuple[str, Params]]] = list(commands.items())
    else:
        items = list(enumerate(commands))
    normalised = []
    for key, spec in items:
        method, params = spec
        if method == "batch":
            raise ValueError("batch.md: a batch cannot contain another batch (ERROR_BATCH_METHOD_NOT_ALLOWED)")
        if any(ch in str(key) for ch in "[]"):
            # PHP would read cmd[a[b]] as a nested array, not as the key "a[b]"
            raise ValueError(f"batch command key {key!r} must not contain square brackets")
        normalised.append(Command(key, str(key), method, params))
    wire_keys = [c.wire_key for c in normalised]
    if len(set(wire_keys)) != len(wire_keys):
        raise ValueError("batch command keys must stay distinct as strings")
    return normalised


def chunks(commands: list[Command], size: int = BATCH_LIMIT) -> list[list[Command]]:
    """Split into calls of at most ``size`` commands; refuse a ``$result[...]`` reference across calls.

    A reference resolves only inside one batch call, so a command referring to a key sent in another call
    would silently get the literal text instead of the value.
    """
    groups = [commands[i : i + size] for i in range(0, len(commands), size)]
    every_key = {c.wire_key for c in commands}
    for index, group in enumerate(groups):
        own = {c.wire_key for c in group}
        elsewhere = every_key - own
        for command in group:
            for ref in _references(command.params):
                if ref not in own and ref in elsewhere:
                    raise ValueError(
                        f"command {command.key!r} refers to $result[{ref}] which lands in another batch call"
                        f" (call {index + 1} holds commands {group[0].key!r}..{group[-1].key!r}); keep chained"
                        f" commands within {size} of each other"
                    )
    return groups


def form_pairs(group: list[Command], halt: bool) -> list[tuple[str, str]]:
    """The form body of one batch call (without ``auth``)."""
    pairs = [("halt", "1" if halt else "0")]
    pairs.extend((f"cmd[{c.wire_key}]", batch_command(c.method, c.params)) for c in group)
    return pairs


def merge_answer(
    into: BatchResult,
    group: list[Command],
    answer: Any,
    make_error: Callable[[Mapping[str, Any], str], BitrixError],
) -> None:
    """Fold one batch call's ``result`` block into ``into``; ``make_error(error_dict, method)`` types errors."""
    block = answer if isinstance(answer, Mapping) else {}
    results = _section(block.get("result"))
    errors = _section(block.get("result_error"))
    totals = _section(block.get("result_total"))
    nexts = _section(block.get("result_next"))
    times = _section(block.get("result_time"))
    for command in group:
        wire = command.wire_key
        if wire in errors:
            raw = errors[wire]
            error_dict = raw if isinstance(raw, Mapping) else {"error": "", "error_description": str(raw)}
            into.errors[command.key] = make_error(error_dict, command.method)
        elif wire in results:
            into.results[command.key] = results[wire]
        else:
            into.not_run.append(command.key)
        if wire in totals:
            into.totals[command.key] = int(totals[wire])
        if wire in nexts:
            into.nexts[command.key] = int(nexts[wire])
        if isinstance(times.get(wire), Mapping):
            into.times[command.key] = times[wire]


def _section(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def _references(params: Any) -> Iterator[str]:
    if isinstance(params, str):
        yield from _REFERENCE.findall(params)
    elif isinstance(params, Mapping):
        for value in params.values():
            yield from _references(value)
    elif isinstance(params, list | tuple):
        for value in params:
            yield from _references(value)
