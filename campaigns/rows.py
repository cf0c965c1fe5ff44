"""A batch's rows: the CSV (uploaded or typed) read as text, checked, and each row's prompt
rendered from the template. No Django models here: the form (``campaigns.forms``) passes in
the studio's own prompt check so a rendered prompt meets every rule the New video form
enforces.

Every refusal names where it is: "Row 7, column 'hook' is empty". Rows are numbered from 1
under the header line, as the preview, the batch page and the manifest number them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

# {{hook}} or {{ hook }}; a name is anything but braces (a column may be "Hook line").
VARIABLE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
MAX_ERRORS = 20


class RowsError(Exception):
    """The rows were refused; ``messages`` says each problem with its row and column."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]  # only the template's variables
    prompt: str


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[Row]


def variables(template: str) -> list[str]:
    """The template's variable names, each once, in order of first use."""
    return list(dict.fromkeys(match.group(1) for match in VARIABLE.finditer(template)))


def template_problems(template: str) -> list[str]:
    left = VARIABLE.sub("", template)
    if "{{" in left or "}}" in left:
        return ["The template has a {{ without its }} (or the other way round)."]
    if not variables(template):
        return ["Use at least one {{variable}} in the template; each row fills it in."]
    return []


def render(template: str, values: dict[str, str]) -> str:
    """The template with each {{variable}} replaced by the row's value (once: a value that
    itself looks like {{this}} stays as it is)."""
    return VARIABLE.sub(lambda match: values[match.group(1)], template)


def decode(raw: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark; anything else is refused with where
    the first byte that is not UTF-8 sits."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RowsError([f"The file is not UTF-8 text ({_where_bad_byte(raw, exc)})."]) from None


def _where_bad_byte(raw: bytes, exc: UnicodeDecodeError) -> str:
    byte = f"byte 0x{raw[exc.start]:02X}"
    hint = "save it as “CSV UTF-8” and upload it again"
    before = raw[: exc.start].decode("utf-8-sig", errors="replace")
    try:
        parsed = list(csv.reader(io.StringIO(before)))
    except csv.Error:
        parsed = []
    if not parsed:
        return f"{byte} in the header line: {hint}"
    header = parsed[0]
    if len(parsed) == 1 and not before.endswith(("\n", "\r")):
        return f"{byte} in the header line, column {len(header)}: {hint}"
    row = parsed[-1] if not before.endswith(("\n", "\r")) else []
    number = len(parsed) - 1 + (0 if row else 1)
    index = max(len(row) - 1, 0)
    column = header[index].strip() if index < len(header) else f"{index + 1}"
    return f"{byte} in row {number}, column '{column}': {hint}"


def parse(
    text: str,
    *,
    template: str,
    max_rows: int,
    check_prompt: Callable[[str], str],
) -> Table:
    """The rows of ``text`` (CSV with a header line) with their prompts rendered.

    ``check_prompt`` cleans one rendered prompt or raises ``ValueError`` with the studio's
    reason. Structural problems (malformed CSV, headers) stop at the first; problems of
    single cells are gathered, up to ``MAX_ERRORS``, so one upload shows most of them."""
    names = variables(template)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = -1  # -1 while the header line is read
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise RowsError(
                [
                    "The rows are empty: give a header line naming the columns, then one line "
                    "per row."
                ]
            )
        columns = _columns(header, names)
        shape = Shape(
            width=len(columns),
            positions={name: columns.index(name) for name in names},
            unnamed=[index for index, name in enumerate(columns) if not name],
        )
        problems: list[str] = []
        rows: list[Row] = []
        number = 0
        for cells in reader:
            number += 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line (spreadsheets often end with some)
            if number > max_rows:
                raise RowsError(
                    [
                        f"Row {number} is past the limit of {max_rows} rows per batch: split "
                        "the rows into several batches."
                    ]
                )
            row = _row(number, cells, shape, template, check_prompt, problems)
            if row is not None:
                rows.append(row)
            if len(problems) >= MAX_ERRORS:
                problems.append("…and perhaps more: fix these first.")
                break
    except csv.Error as exc:
        where = f"Row {number + 1}" if number >= 0 else "The header line"
        raise RowsError(
            [
                f"{where} (line {reader.line_num}) is not valid CSV: {exc}. Put a value that "
                "has commas, quotes or line breaks in double quotes, with its own quotes "
                "doubled."
            ]
        ) from None
    if problems:
        raise RowsError(problems)
    if not rows:
        raise RowsError(["There are no rows under the header line."])
    return Table(columns=[c for c in columns if c], rows=rows)


def _columns(header: list[str], names: list[str]) -> list[str]:
    columns = [cell.strip() for cell in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(columns, start=1):
        if not name:
            continue
        if name in seen:
            raise RowsError(
                [
                    f"The header line names column '{name}' twice (columns {seen[name]} and "
                    f"{index}): give each column its own name."
                ]
            )
        seen[name] = index
    missing = [name for name in names if name not in seen]
    if missing:
        listed = ", ".join(f"'{c}'" for c in columns if c)
        raise RowsError(
            [
                f"The template uses {{{{{name}}}}} but the header line has no column '{name}' "
                f"(its columns: {listed})."
                for name in missing
            ]
        )
    return columns


@dataclass(frozen=True)
class Shape:
    """The header's facts every row is read with, worked out once."""

    width: int
    positions: dict[str, int]  # each variable's column index
    unnamed: list[int]  # columns with no name in the header line


def _row(
    number: int,
    cells: list[str],
    shape: Shape,
    template: str,
    check_prompt: Callable[[str], str],
    problems: list[str],
) -> Row | None:
    for index in range(shape.width, len(cells)):
        if cells[index].strip():
            problems.append(
                f"Row {number}, column {index + 1} has a value but the header line names "
                f"only {shape.width} columns."
            )
            return None
    for index in shape.unnamed:
        if index < len(cells) and cells[index].strip():
            problems.append(
                f"Row {number}, column {index + 1} has a value but no name in the header line."
            )
            return None
    values = {}
    for name, index in shape.positions.items():
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            problems.append(f"Row {number}, column '{name}' is empty.")
            return None
        values[name] = value
    try:
        prompt = check_prompt(render(template, values))
    except ValueError as exc:
        longest = max(values, key=lambda name: len(values[name]))
        problems.append(
            f"Row {number}, column '{longest}' (its longest value): the prompt made from "
            f"this row is refused: {exc}"
        )
        return None
    return Row(number=number, values=values, prompt=prompt)
