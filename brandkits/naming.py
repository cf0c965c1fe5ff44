"""Export file names from a brand kit's template, such as the default
``{brand}_{campaign}_{row}_{ratio}_{date}_v{n}``.

Public: campaigns name their batch files with the same two functions. A template may use
only the tokens below, written plainly (no format specs, no attribute or index access), so a
template can never reach into Python objects; every rendered name is a safe file name.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping

from django.core.exceptions import ValidationError

TOKENS = ("brand", "campaign", "row", "ratio", "preset", "project", "date", "n", "clip")
DEFAULT_TEMPLATE = "{brand}_{campaign}_{row}_{ratio}_{date}_v{n}"
MAX_TEMPLATE = 200
MAX_NAME = 120
FALLBACK = "export"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RUNS = re.compile(r"([_.-])[_.-]+")


def check_template(template: str) -> None:
    """Raise ValidationError naming the first token that is not allowed."""
    if not template.strip():
        raise ValidationError(f"Give a file-name template, for example {DEFAULT_TEMPLATE}.")
    if len(template) > MAX_TEMPLATE:
        raise ValidationError(f"The template is longer than {MAX_TEMPLATE} characters.")
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValidationError(
            "The template has an unmatched { or }; write tokens like {brand}."
        ) from None
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in TOKENS:
            shown = "{" + field + "}" if field else "{}"
            raise ValidationError(
                f"Unknown token {shown}; use one of "
                + " ".join("{" + t + "}" for t in TOKENS)
                + "."
            )
        if spec or conversion:
            raise ValidationError(f"Write the token {{{field}}} without a format (no : or !).")


def safe_part(value: object) -> str:
    """One token's value as file-name characters: accents folded to ASCII, anything else
    (spaces, slashes, dots at the start) turned into ``-``."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("-", text).strip("-")


def file_name(template: str, tokens: Mapping[str, object]) -> str:
    """The template filled with ``tokens`` (a missing token is empty) as a safe file name
    without extension: ASCII letters, digits, ``-``, ``_`` and ``.``, no runs of separators,
    never starting with a dot, at most 120 characters; ``export`` when nothing is left."""
    check_template(template)
    values = {key: safe_part(tokens.get(key, "")) for key in TOKENS}
    name = template.format_map(values)
    name = _RUNS.sub(r"\1", _UNSAFE.sub("-", name))
    name = name[:MAX_NAME].strip("._-")
    return name or FALLBACK
