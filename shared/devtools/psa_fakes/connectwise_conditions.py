"""ConnectWise PSA's `conditions` language, as its list endpoints read it.

`parse_conditions` reads comparisons `field op value` with `=`, `!=`, `<`, `<=`, `>`, `>=`, `like` (`*`
or `%` wildcards), `contains`, `in (a, b)`, `not like`, `not contains`, `not in`; values `"string"`,
numbers, `true`, `false`, `null`, `[2026-01-02T03:04:05Z]`; `and`/`or` (either case; `and` binds tighter)
and parentheses; fields are paths (`company/id`). Strings compare ignoring case, as ConnectWise's SQL
Server collation does (a guess). `childConditions` are the same language over one child array
(`communicationItems/value="a@b.com" AND communicationItems/communicationType="Email"`): a record matches
when one item of the array satisfies the whole condition. `customFieldConditions` (`caption="X" AND
value="Y"`) likewise over the record's `customFields`. A condition that cannot be read is refused (400
`InvalidObject`, a guessed code).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.devtools.psa_fakes.wire import Refusal

__all__ = ["Condition", "child_holds", "custom_field_holds", "parse_conditions"]

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<date>\[[^\]]*\])|(?P<op><=|>=|!=|=|<|>)|(?P<paren>[(),])'
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/.]*)|(?P<num>-?\d+(?:\.\d+)?))"
)
_WORD_OPS = ("like", "contains", "in")


@dataclass(frozen=True)
class Condition:
    """A parsed condition: `op` is "and"/"or" over `parts`, or a comparison of `field` with `value`."""

    op: str
    field: str = ""
    value: Any = None
    parts: tuple[Condition, ...] = ()

    def fields(self) -> list[str]:
        return [self.field] if not self.parts else [f for part in self.parts for f in part.fields()]

    def holds(self, record: Mapping[str, Any]) -> bool:
        if self.op == "and":
            return all(part.holds(record) for part in self.parts)
        if self.op == "or":
            return any(part.holds(record) for part in self.parts)
        return _compare(self.op, _resolve(record, self.field), self.value)


def parse_conditions(text: str) -> Condition:
    """A condition string as a `Condition` (400 `InvalidObject` when it cannot be read)."""
    tokens = _tokens(text)
    condition, rest = _or(tokens)
    if rest:
        raise _bad_condition(f"unexpected {rest[0][1]!r}")
    return condition


def child_holds(condition: Condition, record: Mapping[str, Any]) -> bool:
    """`childConditions`: one item of the child array the fields name satisfies the whole condition."""
    arrays = {field.split("/", 1)[0] for field in condition.fields()}
    if len(arrays) != 1:
        raise Refusal(400, "InvalidObject", "childConditions must name fields of one child array")
    name = arrays.pop()
    items = record.get(name)
    return isinstance(items, list) and any(condition.holds({name: item}) for item in items)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, at = [], 0
    while at < len(text.rstrip()):
        hit = _TOKEN.match(text, at)
        if hit is None or hit.end() == at:
            raise _bad_condition(f"cannot read {text[at : at + 20]!r}")
        kind = hit.lastgroup or ""
        tokens.append((kind, hit.group(kind)))
        at = hit.end()
    return tokens


def _or(tokens: list[tuple[str, str]]) -> tuple[Condition, list[tuple[str, str]]]:
    return _joined(tokens, "or", _and)


def _and(tokens: list[tuple[str, str]]) -> tuple[Condition, list[tuple[str, str]]]:
    return _joined(tokens, "and", _factor)


Parser = Callable[[list[tuple[str, str]]], tuple[Condition, list[tuple[str, str]]]]


def _joined(tokens: list[tuple[str, str]], word: str, inner: Parser) -> tuple[Condition, list[tuple[str, str]]]:
    first, rest = inner(tokens)
    parts = [first]
    while rest and rest[0][0] == "word" and rest[0][1].lower() == word:
        part, rest = inner(rest[1:])
        parts.append(part)
    return (parts[0] if len(parts) == 1 else Condition(word, parts=tuple(parts))), rest


def _factor(tokens: list[tuple[str, str]]) -> tuple[Condition, list[tuple[str, str]]]:
    if not tokens:
        raise _bad_condition("a condition ends too early")
    if tokens[0] == ("paren", "("):
        inner, rest = _or(tokens[1:])
        if not rest or rest[0] != ("paren", ")"):
            raise _bad_condition("a parenthesis is not closed")
        return inner, rest[1:]
    if tokens[0][0] != "word":
        raise _bad_condition(f"expected a field at {tokens[0][1]!r}")
    if len(tokens) < 3:
        raise _bad_condition(f"the comparison of {tokens[0][1]!r} is incomplete")
    field, rest = tokens[0][1], tokens[1:]
    negated = rest[0][0] == "word" and rest[0][1].lower() == "not"
    rest = rest[1:] if negated else rest
    kind, op = rest[0]
    if not (kind == "op" or (kind == "word" and op.lower() in _WORD_OPS)):
        raise _bad_condition(f"expected an operator after {field!r}")
    op = op.lower()
    if op == "in":
        values, rest = _list(rest[1:])
        return Condition("not in" if negated else "in", field, values), rest
    if not rest[1:]:
        raise _bad_condition(f"no value after {field} {op}")
    return Condition(f"not {op}" if negated else op, field, _value(rest[1])), rest[2:]


def _list(tokens: list[tuple[str, str]]) -> tuple[list[Any], list[tuple[str, str]]]:
    if not tokens or tokens[0] != ("paren", "("):
        raise _bad_condition("in takes a list in parentheses")
    values, rest = [], tokens[1:]
    while rest and rest[0] != ("paren", ")"):
        if rest[0] != ("paren", ","):
            values.append(_value(rest[0]))
        rest = rest[1:]
    return values, rest[1:]


def _value(token: tuple[str, str]) -> Any:
    kind, text = token
    if kind == "str":
        return text[1:-1].replace('\\"', '"')
    if kind == "date":
        return text[1:-1]
    if kind == "num":
        return float(text) if "." in text else int(text)
    if kind == "word" and text.lower() in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[text.lower()]
    raise _bad_condition(f"{text!r} is not a value")


def _resolve(record: Mapping[str, Any], path: str) -> Any:
    node: Any = record
    for part in path.split("/"):
        if not isinstance(node, Mapping):
            return None
        node = next((v for k, v in node.items() if k.lower() == part.lower()), None)
    return node


def _compare(op: str, actual: Any, wanted: Any) -> bool:
    if op.startswith("not "):
        return not _compare(op[4:], actual, wanted)
    folded, target = _fold(actual), _fold(wanted)
    if op == "=":
        return bool(folded == target)
    if op == "!=":
        return bool(folded != target)
    if op == "in":
        return folded in [_fold(v) for v in wanted]
    if op in ("like", "contains"):
        pattern = f"*{target}*" if op == "contains" else str(target)
        regex = ".*".join(re.escape(part) for part in re.split(r"[*%]", pattern))
        return actual is not None and re.fullmatch(regex, str(folded), re.DOTALL) is not None
    if actual is None or wanted is None:
        return False
    try:
        return bool({"<": folded < target, "<=": folded <= target, ">": folded > target, ">=": folded >= target}[op])
    except TypeError:
        return False


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _bad_condition(problem: str) -> Refusal:
    return Refusal(400, "InvalidObject", f"conditions could not be read: {problem}")


def custom_field_holds(condition: Condition, record: Mapping[str, Any]) -> bool:
    """`customFieldConditions`: one of the record's `customFields` satisfies the whole condition."""
    return any(condition.holds(item) for item in record.get("customFields") or [])
