"""The words of a notice: the library's templates, checked when saved and rendered at send time.

A template is Django's template language restricted to text, variables, `if`,
`for`, `with` and comments, over the small set of variables in VARIABLES (by
kind). Nothing rendered is stored: a notice is rendered when it is sent and
the text goes only to the mail server or the printer (CONF-9).
"""

import datetime
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, Node, TemplateSyntaxError
from django.template.base import FilterExpression, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode, WithNode

from notices.defaults import default_words
from notices.models import Kind

logger = logging.getLogger(__name__)

# Every notice: who it is for. Never an address: the envelope or the mail
# header carries that, not the text.
COMMON_VARIABLES = {
    "first_name": "the patron's first name",
    "name": "the patron's first and last name",
    "today": "the day the notice is sent (a date)",
}
_LOAN_VARIABLES = {
    "items": (
        "the titles, a list: empty unless the patron chose to have items named, and always "
        "empty in a letter"
    ),
    "count": "how many items the notice is about (a number)",
    "due_date": "the day they are or were due (a date)",
}
_OVERDUE_VARIABLES = {**_LOAN_VARIABLES, "days_overdue": "how many days overdue (a number)"}
_HOLD_ITEMS = {
    "items": (
        "the title, as a list of one: empty unless the patron chose to have items named, and "
        "always empty in a letter"
    ),
}
VARIABLES: dict[str, dict[str, str]] = {
    Kind.PRE_DUE: _LOAN_VARIABLES,
    Kind.OVERDUE_FIRST: _OVERDUE_VARIABLES,
    Kind.OVERDUE_SECOND: _OVERDUE_VARIABLES,
    Kind.OVERDUE_FINAL: _OVERDUE_VARIABLES,
    Kind.HOLD_READY: {
        **_HOLD_ITEMS,
        "pickup_branch": "the branch where it waits (its name)",
        "ready_until": "the last day it is kept (a date)",
    },
    Kind.HOLD_EXPIRED: {**_HOLD_ITEMS, "pickup_branch": "the branch where it waited"},
    Kind.CARD_EXPIRING: {"card_expires_on": "the day the card expires (a date)"},
}

TEMPLATE_DOES_NOT_COMPILE = "The {part} does not compile: {error}"
UNKNOWN_VARIABLE = (
    "The {part} uses the variable {name}, which this notice does not have; it may use: {known}."
)
TEMPLATE_DOES_NOT_RENDER = "The {part} compiles but cannot be rendered: {error}"
FILTER_NOT_ALLOWED = (
    "The {part} uses the filter {name} with {argument}, which fails when it is 0; "
    "give it a whole number other than 0."
)
TAG_NOT_ALLOWED = (
    "The {part} uses a tag notices do not allow ({tag}); use only variables, "
    "if, for, with and comments."
)

# Text, not HTML: the mail is plain text, and the letters page escapes what it shows.
_ENGINE = Engine(autoescape=False, libraries={}, string_if_invalid="")
_ALLOWED_NODES = (TextNode, VariableNode, IfNode, ForNode, WithNode, CommentNode)


_SAMPLE_DAY = datetime.date(2026, 1, 15)
_SAMPLE: dict[str, Any] = {
    "first_name": "Ada",
    "name": "Ada Reader",
    "today": _SAMPLE_DAY,
    "items": ["A title", "Another title"],
    "count": 2,
    "due_date": _SAMPLE_DAY,
    "days_overdue": 8,
    "pickup_branch": "Central Library",
    "ready_until": _SAMPLE_DAY,
    "card_expires_on": _SAMPLE_DAY,
}
# Trial runs on varied values, so that a template that branches on a name, a
# count or the titles is tried on each branch: names (one empty, one long
# with an apostrophe and an accent), counts 0, 1 and 3 with matching day
# counts, titles named (an email to a patron who chose it) or not (a letter).
_SAMPLE_PEOPLE = [
    {"first_name": "Ada", "name": "Ada Reader"},
    {"first_name": "", "name": ""},
    {"first_name": "Zoë-Marie", "name": "Zoë-Marie O'Brien-Ngata"},
]
_SAMPLE_NUMBERS = [
    {"count": 0, "days_overdue": 0},
    {"count": 1, "days_overdue": 1},
    {"count": 3, "days_overdue": 45},
]
_SAMPLE_DAYS = [
    {"today": day, "due_date": day, "ready_until": day, "card_expires_on": day}
    for day in (_SAMPLE_DAY, datetime.date(2026, 12, 31))
]
_SAMPLE_BRANCHES = ["Central Library", ""]


def _samples() -> Iterator[dict[str, Any]]:
    for person, numbers, days, branch, named in itertools.product(
        _SAMPLE_PEOPLE, _SAMPLE_NUMBERS, _SAMPLE_DAYS, _SAMPLE_BRANCHES, (True, False)
    ):
        titles = ["A title", "Another title", "A third"][: max(numbers["count"], 1)]
        yield {
            **_SAMPLE,
            **person,
            **numbers,
            **days,
            "pickup_branch": branch,
            "items": titles if named else [],
        }


# Filters that raise on a number of 0 given as their argument: refused unless
# the argument is a literal whole number other than 0.
_NONZERO_ARGUMENT_FILTERS = {"divisibleby"}


def variables_for(kind: str) -> dict[str, str]:
    """Return the variables a notice of this kind may use, with what each holds."""
    return {**COMMON_VARIABLES, **VARIABLES[kind]}


def _expressions(value: Any) -> Iterator[FilterExpression]:
    """Yield the filter expressions inside a node's attribute or an `if` condition."""
    if isinstance(value, FilterExpression):
        yield value
    elif isinstance(value, list | tuple):
        for part in value:
            yield from _expressions(part)
    elif isinstance(value, dict):
        for part in value.values():
            yield from _expressions(part)
    elif value is not None and hasattr(value, "id") and hasattr(value, "first"):
        # An operator of the `if` tag's parser: a literal holds its value.
        yield from _expressions(getattr(value, "value", None))
        yield from _expressions(value.first)
        yield from _expressions(getattr(value, "second", None))


def _names(expression: FilterExpression) -> Iterator[str]:
    """Yield the variable names an expression and its filters' arguments read."""
    variables = [expression.var]
    variables += [arg for _, args in expression.filters for lookup, arg in args if lookup]
    for variable in variables:
        if isinstance(variable, Variable) and variable.lookups:
            yield variable.lookups[0]


def template_problems(source: str, *, kind: str, part: str) -> list[str]:
    """Return why a subject or body cannot be used for this kind; empty when it can."""
    try:
        compiled = _ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        return [TEMPLATE_DOES_NOT_COMPILE.format(part=part, error=error)]
    nodes = compiled.nodelist.get_nodes_by_type(Node)
    problems = []
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            tag = getattr(node, "token", None)
            shown = tag.contents.split()[0] if tag is not None and tag.contents else "?"
            problems.append(TAG_NOT_ALLOWED.format(part=part, tag=shown))
    defined = {"forloop"}
    used: list[str] = []
    for node in nodes:
        if isinstance(node, ForNode):
            defined.update(node.loopvars)
            for expression in _expressions(node.sequence):
                used += _names(expression)
        elif isinstance(node, WithNode):
            defined.update(node.extra_context)
            for expression in _expressions(node.extra_context):
                used += _names(expression)
        elif isinstance(node, IfNode):
            for condition, _ in node.conditions_nodelists:
                for expression in _expressions(condition):
                    used += _names(expression)
        elif isinstance(node, VariableNode) and isinstance(
            node.filter_expression, FilterExpression
        ):
            used += _names(node.filter_expression)
    known = variables_for(kind)
    for name in dict.fromkeys(used):
        if name not in known and name not in defined:
            problems.append(
                UNKNOWN_VARIABLE.format(part=part, name=name, known=", ".join(sorted(known)))
            )
    problems += _risky_filters(nodes, part)
    if not problems:
        # Trial runs on varied sample values, so that no notice fails later at
        # send time; notice_render still falls back to the default words if one does.
        for sample in _samples():
            try:
                compiled.render(Context(sample))
            except Exception as error:  # any filter may raise on a bad argument
                problems.append(
                    TEMPLATE_DOES_NOT_RENDER.format(part=part, error=type(error).__name__)
                )
                break
    return problems


def _risky_filters(nodes: list[Node], part: str) -> list[str]:
    """Return a problem for each filter whose argument may be a 0 it cannot take."""
    expressions: list[FilterExpression] = []
    for node in nodes:
        if isinstance(node, ForNode):
            expressions += _expressions(node.sequence)
        elif isinstance(node, WithNode):
            expressions += _expressions(node.extra_context)
        elif isinstance(node, IfNode):
            for condition, _ in node.conditions_nodelists:
                expressions += _expressions(condition)
        elif isinstance(node, VariableNode):
            expressions += _expressions(node.filter_expression)
    problems = []
    for expression in expressions:
        for function, args in expression.filters:
            name = getattr(function, "_filter_name", getattr(function, "__name__", ""))
            if name not in _NONZERO_ARGUMENT_FILTERS:
                continue
            # A number is a Variable without lookups; a quoted string is resolved already.
            values = [
                arg.literal if isinstance(arg, Variable) and not arg.lookups else arg
                for _, arg in args
            ]
            safe = bool(values) and all(
                not isinstance(value, Variable) and _nonzero_whole(value) for value in values
            )
            if not safe:
                shown = ", ".join(str(arg) for _, arg in args) or "no argument"
                problem = FILTER_NOT_ALLOWED.format(part=part, name=name, argument=shown)
                if problem not in problems:
                    problems.append(problem)
    return problems


def _nonzero_whole(value: Any) -> bool:
    try:
        return int(str(value)) != 0
    except ValueError:
        return False


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def render(*, subject: str, body: str, context: dict[str, Any]) -> Rendered:
    """Render a notice's subject (one line) and body from its template and context."""
    rendered_subject = _ENGINE.from_string(subject).render(Context(context))
    return Rendered(
        subject=" ".join(rendered_subject.split()),
        body=_ENGINE.from_string(body).render(Context(context)).strip() + "\n",
    )


def render_or_default(
    *, kind: str, channel: str, subject: str, body: str, context: dict[str, Any]
) -> Rendered:
    """Render a notice; if the library's template fails on it, use the default words instead.

    One notice's template error never stops a page of letters or a batch of
    emails: the notice still goes, in the built-in words (notices.defaults).
    The warning names the kind and channel only, never the patron or a value.
    """
    try:
        return render(subject=subject, body=body, context=context)
    except Exception as error:  # any filter may raise on a value the save check did not try
        logger.warning(
            "The %s %s template failed to render (%s); the default words were used.",
            kind,
            channel,
            type(error).__name__,
        )
    default_subject, default_body = default_words(kind, channel)
    return render(subject=default_subject, body=default_body, context=context)
