"""Read-side queries for the gallery: filters, search and keyset pages, in a constant
number of SQL queries whatever the page size."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, Count, Min, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.utils import timezone

from generations.models import TERMINAL, UNFINISHED, AspectRatio, Generation, Mode, Status
from studiolib import params as query_params
from studiolib import tiers
from studiolib.errors import PROBLEMS
from workspaces.models import Project

PAGE_SIZE = 24
LIVE_BATCH = 48  # cards in one live-refresh response at most
# What a gallery card shows (templates/generations/gallery.html#card_html). Loading only
# these skips the file, upstream and bookkeeping columns of every row on every page.
CARD_FIELDS = (
    "id",
    "review_status",
    "user_id",
    "mode",
    "model",
    "prompt",
    "duration",
    "aspect_ratio",
    "estimated_cost",
    "settled_cost",
    "upstream_problem",
    "last_frame_missing",
    "starred",
    "shared_until",
    "group",
    "status",
    "progress",
    "error_message",
    "created_at",
    "updated_at",
    "finished_at",
    "last_frame",  # the card says whether it can be dropped into a first-frame slot
    # Who made it and where it lives: read in the same query (a join on two primary keys).
    "user__username",
    "project__name",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class Filters:
    status: str = ""
    mode: str = ""
    model: str = ""
    aspect_ratio: str = ""
    date_from: str = ""
    date_to: str = ""
    q: str = ""
    starred: bool = False
    project: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        """The filters in a query string; a value that is not one the filter bar offers is
        treated as no filter (see ``studiolib.params``)."""
        return cls(
            status=query_params.choice(query.get("status"), Status.values),
            mode=query_params.choice(query.get("mode"), Mode.values),
            model=query_params.choice(query.get("model"), tiers.TIERS_BY_MODEL),
            aspect_ratio=query_params.choice(query.get("aspect_ratio"), AspectRatio.values),
            date_from=query_params.iso_date(query.get("date_from")),
            date_to=query_params.iso_date(query.get("date_to")),
            q=query_params.text(query.get("q"), max_length=200),
            starred=query.get("starred") in {"1", "on", "true"},
            project=str(query_params.uuid_or_none(query.get("project")) or ""),
        )

    @property
    def active(self) -> bool:
        return any(vars(self).values())


def _db_time(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def _filter_sql(filters: Filters) -> tuple[list[str], list[Any]]:
    """The filters as SQL conditions on the generations table: the one definition the
    page statement and the ORM querysets (live refresh, card lookups) share."""
    conditions: list[str] = []
    params: list[Any] = []
    for field in ("status", "mode", "model", "aspect_ratio"):
        value = getattr(filters, field)
        if value:
            conditions.append(f'"{field}" = %s')
            params.append(value)
    if filters.starred:
        conditions.append('"starred" = %s')
        params.append(True)
    if filters.project:
        conditions.append('"project_id" = %s')
        params.append(
            Generation._meta.get_field("project").get_db_prep_value(filters.project, connection)
        )
    start, end = _parse_date(filters.date_from), _parse_date(filters.date_to)
    if start:
        conditions.append('"created_at" >= %s')
        params.append(_db_time(start))
    if end:
        conditions.append('"created_at" < %s')
        params.append(_db_time(end + timedelta(days=1)))
    if filters.q and connection.vendor == "postgresql":
        conditions.append(
            """to_tsvector('simple', COALESCE("prompt", '')) @@ """
            "websearch_to_tsquery('simple', %s)"
        )
        params.append(filters.q)
    elif filters.q:  # SQLite: every word must appear in the prompt, in any case
        for word in filters.q.split():
            conditions.append(""""prompt" LIKE %s ESCAPE '\\'""")
            params.append(f"%{connection.ops.prep_for_like_query(word)}%")
    return conditions, params


def _parse_date(value: str) -> datetime | None:
    """A date ``Filters.from_query`` already checked, as the start of that day in UTC."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


def gallery(clips: QuerySet[Generation], filters: Filters) -> QuerySet[Generation]:
    """The cards of ``clips`` (a workspace's, from ``workspaces.access.scope``) matching
    ``filters``, newest first, as a queryset."""
    queryset = clips
    conditions, params = _filter_sql(filters)
    if conditions:
        # Only constant SQL text; every value the user sent is a parameter.
        where = " AND ".join(conditions)
        queryset = queryset.filter(RawSQL(where, params, output_field=BooleanField()))  # noqa: S611
    return (
        queryset.select_related("user", "project").only(*CARD_FIELDS).order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class Live:
    """The live-refresh token (the workspace's newest change, in microseconds) and whether
    anything in it still runs."""

    version: int
    active: bool


@dataclass(frozen=True)
class Page:
    """One keyset page of cards. ``html_key`` names its HTML by every card's id, last
    change, share state, maker's username and project name (a rename changes no clip row);
    it is empty while a card runs (its text changes with time)."""

    clips: QuerySet[Generation]
    ids: list[Any]
    next_cursor: str
    html_key: str
    live: Live
    projects_stamp: str  # the workspace's project list, hashed (``ProjectChoices``)

    def cards(self) -> QuerySet[Generation]:
        """The cards themselves: read (and even built) only when the page's HTML is not in
        the fragment cache; a template calls this."""
        return gallery(self.clips, Filters()).filter(pk__in=self.ids)


def _stamp(column: str) -> str:
    """A timestamp column in a form that is exact and cheap to load: integer microseconds
    on PostgreSQL, the stored text on SQLite (parsing 75 datetimes per page cost more
    than running the query)."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint"
    return f"CAST({column} AS text)"


def micros(moment: datetime) -> int:
    """A moment as integer microseconds since the epoch: exact, and safe in a URL."""
    return (moment - _EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return _EPOCH + value * _MICRO


def _micros(value: int | str | None) -> int:
    """What ``_stamp`` loaded, in microseconds (0 for no row)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    moment = datetime.fromisoformat(value)  # SQLite keeps UTC, naive
    return micros(moment.replace(tzinfo=moment.tzinfo or UTC))


# The live token, whether anything runs, the project list's stamp, and one page of card
# keys with each maker's name and project name, in one statement: the gallery is the most
# requested page, and a round trip and two ORM queries cost more than the work itself.
# Every part is an index range (gen_ws_updated, gen_ws_status, gen_ws_created_id) or a
# primary-key lookup for the page's rows, whatever the size of the history.
_LIVE_SQL = """SELECT {latest} AS latest,
  EXISTS (SELECT 1 FROM {table} WHERE "workspace_id" = %s AND "status" IN ({running})) AS active"""
_PAGE_SQL = """SELECT live.latest, live.active, ({projects_text}) AS projects,
  k.id, k.updated, k.status, k.shared, k.created, u.{username}, p."name"
FROM ({live}) AS live LEFT JOIN (
  SELECT "id", "created_at", {created} AS created, {updated} AS updated, "status",
    "shared_until" > %s AS shared, "user_id", "project_id"
  FROM {table} WHERE {where} ORDER BY "created_at" DESC, "id" DESC LIMIT {limit}
) AS k ON 1 = 1
LEFT JOIN {users} AS u ON u."id" = k."user_id"
LEFT JOIN {projects} AS p ON p."id" = k."project_id"
ORDER BY k.created_at DESC, k.id DESC"""


def _projects_text_sql() -> str:
    """A workspace's project list as one text (hashed in ``page``): what the cached filter
    bar and Move menu depend on, read in the page's statement rather than a query of its
    own (projects have no change stamp, and a rename must show)."""
    table = connection.ops.quote_name(Project._meta.db_table)
    if connection.vendor == "postgresql":
        row = """p2."id"::text || ':' || p2."name" || ':' || COALESCE(p2."archived_at"::text, '')"""
        return (
            f"SELECT md5(string_agg({row}, '|' ORDER BY p2.\"id\")) "  # noqa: S608
            f'FROM {table} AS p2 WHERE p2."workspace_id" = %s'
        )
    row = """p2."id" || ':' || p2."name" || ':' || COALESCE(p2."archived_at", '')"""
    return (
        f"SELECT group_concat(t, '|') FROM (SELECT {row} AS t FROM {table} AS p2 "  # noqa: S608
        'WHERE p2."workspace_id" = %s ORDER BY p2."id")'
    )


def _live_sql() -> str:
    table = connection.ops.quote_name(Generation._meta.db_table)
    latest = f'(SELECT MAX("updated_at") FROM {table} WHERE "workspace_id" = %s)'  # noqa: S608
    return _LIVE_SQL.format(
        latest=_stamp(latest), table=table, running=", ".join(["%s"] * len(UNFINISHED))
    )


def _workspace_param(workspace_id: Any) -> Any:
    return Generation._meta.get_field("workspace").get_db_prep_value(workspace_id, connection)


def live(workspace_id: Any) -> Live:
    """The live token of a workspace (its id from ``workspaces.access``)."""
    ws = _workspace_param(workspace_id)
    with connection.cursor() as cursor:
        cursor.execute(_live_sql(), [ws, ws, *UNFINISHED])
        latest, active = cursor.fetchone()
    return Live(_micros(latest), bool(active))


def page(clips: QuerySet[Generation], workspace_id: Any, filters: Filters, cursor: str) -> Page:
    """One keyset page of a workspace's ``clips`` (both from ``workspaces.access``) after
    ``cursor`` ("<microseconds>_<id>"), the next cursor, and the live token, in one query."""
    ws = _workspace_param(workspace_id)
    conditions, params = _filter_sql(filters)
    conditions.insert(0, '"workspace_id" = %s')
    params.insert(0, ws)
    after = query_params.cursor(cursor)  # not a cursor: the first page
    if after is not None:
        created = _db_time(from_micros(after[0]))
        pk = Generation._meta.pk.get_db_prep_value(after[1], connection)
        conditions.append('("created_at" < %s OR ("created_at" = %s AND "id" < %s))')
        params += [created, created, pk]
    sql = _PAGE_SQL.format(
        live=_live_sql(),
        projects_text=_projects_text_sql(),
        created=_stamp('"created_at"'),
        updated=_stamp('"updated_at"'),
        table=connection.ops.quote_name(Generation._meta.db_table),
        users=connection.ops.quote_name(get_user_model()._meta.db_table),
        username=connection.ops.quote_name(get_user_model().USERNAME_FIELD),
        projects=connection.ops.quote_name(Project._meta.db_table),
        where=" AND ".join(conditions),
        limit=PAGE_SIZE + 1,
    )
    with connection.cursor() as db:
        db.execute(sql, [ws, ws, ws, *UNFINISHED, _db_time(timezone.now()), *params])
        rows = db.fetchall()
    to_pk = Generation._meta.pk.to_python
    keys = [(to_pk(pk), *rest) for _, _, _, pk, *rest in rows if pk is not None]
    next_cursor = ""
    if len(keys) > PAGE_SIZE:
        del keys[PAGE_SIZE:]
        next_cursor = f"{_micros(keys[-1][4])}_{keys[-1][0]}"
    html_key = ""
    if keys and all(key[2] in TERMINAL for key in keys):
        text = "|".join(
            f"{pk},{updated},{bool(shared)},{maker},{project}"
            for pk, updated, _, shared, _, maker, project in keys
        )
        html_key = hashlib.sha256(f"{text}|{next_cursor}".encode()).hexdigest()
    latest, active, projects = rows[0][:3]
    return Page(
        clips,
        [key[0] for key in keys],
        next_cursor,
        html_key,
        Live(_micros(latest), bool(active)),
        hashlib.sha256((projects or "").encode()).hexdigest(),
    )


class ProjectChoices:
    """A workspace's projects for the filter bar and the Move menu, and a stamp of the list
    (``Page.projects_stamp``): the cached filter bar and menu are keyed by it, so a new,
    renamed or archived project shows at once, one workspace's names never reach another's
    page, and the list itself is read only when that HTML is not cached."""

    def __init__(self, projects: QuerySet[Project], stamp: str) -> None:
        self.queryset = projects  # a workspace's, from ``workspaces.access.scope``
        self.stamp = stamp

    @cached_property
    def projects(self) -> list[Project]:
        return list(self.queryset.only("id", "name", "archived_at"))

    @property
    def open(self) -> list[Project]:
        return [project for project in self.projects if not project.archived]

    @property
    def archived(self) -> list[Project]:
        return [project for project in self.projects if project.archived]


@dataclass(frozen=True)
class ProviderProblem:
    """What is wrong with polling the provider: the most widespread problem among running
    generations, since when (the earliest still open), and how many generations it holds."""

    problem: str
    message: str
    since: datetime
    generations: int


def provider_problem_summary() -> ProviderProblem | None:
    """For a degraded readiness check and operators: None while every poll is answered."""
    rows = list(
        Generation.objects.filter(status=Status.RUNNING)
        .exclude(upstream_problem="")
        .values("upstream_problem")
        .annotate(count=Count("pk"), since=Min("upstream_problem_since"))
        .order_by("-count", "since")[:1]
    )
    if not rows:
        return None
    row = rows[0]
    problem = row["upstream_problem"]
    return ProviderProblem(
        problem, PROBLEMS.get(problem, problem), row["since"] or timezone.now(), row["count"]
    )


RECENT_PROMPTS = 12


def recent_prompts(clips: QuerySet[Generation], limit: int = RECENT_PROMPTS) -> list[str]:
    """The latest distinct prompts of ``clips``, newest first, for the prompt history picker.

    Reads a bounded window of recent rows (not the whole history) and removes repeats
    here, which works the same on SQLite and PostgreSQL.
    """
    rows = (
        clips.exclude(prompt="")
        .order_by("-created_at")
        .values_list("prompt", flat=True)[: limit * 5]
    )
    seen: dict[str, None] = {}
    for prompt in rows:
        seen.setdefault(prompt, None)
        if len(seen) == limit:
            break
    return list(seen)
