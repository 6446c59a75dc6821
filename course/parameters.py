"""The parameters of a notebook, and `course run -p NAME=VALUE` checked against them.

A notebook's parameters are the names its cell tagged `parameters` assigns,
each to a Python literal (its default). A requested value is checked before
the notebook runs, so a typo or a value of the wrong type stops the run with
one message instead of being ignored or failing deep inside Keras:

- the name must be one of the notebook's parameters (the closest is suggested);
- the value must have the default's type: an int is accepted for a float
  default (and becomes a float), a list for a tuple default (and becomes a
  tuple); a default of None (the mode decides) accepts any Python literal.
"""

import ast
import dataclasses
import difflib
import json
import pathlib

PARAMETERS_TAG = "parameters"


class ParameterError(ValueError):
    """A parameter request that the notebook cannot take."""


@dataclasses.dataclass(frozen=True)
class Requested:
    """A value given on the command line: the literal it parsed to, or its text."""

    text: str
    value: object
    is_literal: bool


def parse_value(text):
    """`VALUE` of `-p NAME=VALUE`: a Python literal, or else the text itself."""
    try:
        return Requested(text, ast.literal_eval(text), True)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return Requested(text, text, False)


def _assigned(target, value):
    """(name, literal) pairs of one assignment of the parameters cell."""
    if isinstance(target, ast.Name):
        try:
            return [(target.id, ast.literal_eval(value))]
        except ValueError:  # not a literal, e.g. a computed default
            return []
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
        return [
            pair
            for t, v in zip(target.elts, value.elts, strict=True)
            for pair in _assigned(t, v)
        ]
    return []


def notebook_defaults(notebook):
    """{name: default} assigned by the notebook's cell tagged `parameters`."""
    cells = json.loads(pathlib.Path(notebook).read_text(encoding="utf-8"))["cells"]
    sources = [
        "".join(cell["source"])
        for cell in cells
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
    ]
    if not sources:
        raise ParameterError(f"{notebook} has no cell tagged '{PARAMETERS_TAG}'")
    defaults = {}
    for statement in ast.parse(sources[0]).body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                defaults.update(_assigned(target, statement.value))
    return defaults


def _type_name(value):
    return type(value).__name__


def checked_value(name, requested, default):
    """The value to inject for `name`, or a ParameterError saying what is expected."""
    value = requested.value
    if default is None:
        if not requested.is_literal:
            raise ParameterError(
                f"{name}={requested.text}: expected a Python literal (a number, "
                f"True/False, a tuple, a quoted string); the default None lets the "
                f"mode choose"
            )
        return value
    expected = type(default)
    if expected is float and type(value) is int:
        return float(value)
    if expected is tuple and type(value) is list:
        return tuple(value)
    if type(value) is expected:
        return value
    raise ParameterError(
        f"{name}={requested.text}: expected {_type_name(default)} like the default "
        f"{name}={default!r}; got {_type_name(value)}"
    )


def validate(notebook, requested):
    """{name: value} to inject into `notebook` from {name: Requested}."""
    defaults = notebook_defaults(notebook)
    values = {}
    for name, given in requested.items():
        if name not in defaults:
            close = difflib.get_close_matches(name, defaults, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ParameterError(
                f"{pathlib.Path(notebook).name} has no parameter {name}.{hint} "
                f"Its parameters: {', '.join(defaults)}"
            )
        values[name] = checked_value(name, given, defaults[name])
    return values
