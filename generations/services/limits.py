"""Per-user abuse and cost limits, enforced in the database when a generation is created.

Counting rows (not a cache) makes the limits exact across web processes; the user's row is
locked for the check so two simultaneous submissions cannot both slip under a limit. Spend
is read from the ledger's daily sums, which every submission writes in its own transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum

from billing.models import Dimension, SpendDay
from generations.models import UNFINISHED, Generation


class LimitExceeded(Exception):
    """A clear sentence for the user: which limit, and when it resets."""


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def check_limits(
    *, user: Any, cost: Decimal, now: datetime, count: int = 1, pace: bool = True
) -> None:
    """Refuse ``count`` new generations costing ``cost`` together if any limit would be
    passed. Call it under ``lock_user`` in the transaction that creates them.

    ``pace=False`` (a campaign batch) skips the in-flight and per-minute counts: those keep
    one member from flooding the queue clip by clip, while a batch is one deliberate,
    previewed submission bounded by ``CAMPAIGN_MAX_ROWS``; its spend is checked all the
    same."""
    if pace:
        _check_pace(user=user, now=now, count=count)
    _check_spend(user=user, cost=cost, now=now, count=count)


def _check_pace(*, user: Any, now: datetime, count: int) -> None:
    """Videos in flight and started in the last minute, counted in one query over the
    user's unfinished and last-minute rows (indexes gen_user_status, gen_user_created)."""
    in_flight_limit = settings.STUDIO_MAX_IN_FLIGHT
    per_minute = settings.STUDIO_MAX_PER_MINUTE
    minute_ago = now - timedelta(minutes=1)
    counts: dict[str, Any] = {}
    rows = Q()
    if in_flight_limit:
        counts["in_flight"] = Count("pk", filter=Q(status__in=UNFINISHED))
        rows |= Q(status__in=UNFINISHED)
    if per_minute:
        counts["recent"] = Count("pk", filter=Q(created_at__gt=minute_ago))
        rows |= Q(created_at__gt=minute_ago)
    if not counts:
        return
    mine = Generation.objects.filter(user=user)
    found = mine.filter(rows).aggregate(**counts)
    if in_flight_limit:
        in_flight = found["in_flight"]
        if in_flight + count > in_flight_limit:
            raise LimitExceeded(
                f"You already have {in_flight} videos in progress and may have at most "
                f"{in_flight_limit} at once"
                + (f", so these {count} would not fit" if count > 1 else "")
                + ". Wait for one to finish (or cancel one) and try again."
            )
    if per_minute:
        if count > per_minute:
            raise LimitExceeded(
                f"You can start at most {per_minute} videos per minute, fewer than these {count}."
            )
        if found["recent"] + count > per_minute:
            recent = list(
                mine.filter(created_at__gt=minute_ago)
                .order_by("created_at")
                .values_list("created_at", flat=True)
            )
            # Room is made when this many of the recent starts have left the minute.
            blocking = recent[len(recent) + count - per_minute - 1]
            seconds = max(1, int((blocking + timedelta(minutes=1) - now).total_seconds()) + 1)
            what = f"these {count}" if count > 1 else "this one"
            raise LimitExceeded(
                f"You can start at most {per_minute} videos per minute; {what} would pass "
                f"it. Try again in {seconds} s."
            )


def _check_spend(*, user: Any, cost: Decimal, now: datetime, count: int) -> None:
    """The user's spend today and this month (UTC), in every workspace: settled cost where
    known, else the estimate, 0 for a failure never sent. Read from the ledger's daily sums
    per member (a few rows per day), not from every clip of the month: summing a busy
    member's month of clips cost more than the rest of a submission together."""
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    spend_limits = [
        (limit, since, resets, period)
        for limit, since, resets, period in (
            (settings.STUDIO_MAX_SPEND_PER_DAY, day_start, day_start + timedelta(days=1), "today"),
            (settings.STUDIO_MAX_SPEND_PER_MONTH, month_start, next_month, "this month"),
        )
        if limit
    ]
    if not spend_limits:
        return
    rows = SpendDay.objects.filter(
        dimension=Dimension.MEMBER,
        key=str(user.pk),
        day__gte=min(since.date() for _, since, _, _ in spend_limits),
        day__lte=day_start.date(),
    )
    found = rows.aggregate(
        **{
            f"spent_{n}": Sum("spend", filter=Q(day__gte=since.date()))
            for n, (_, since, _, _) in enumerate(spend_limits)
        }
    )
    for n, (limit, _, resets, period) in enumerate(spend_limits):
        spent = found[f"spent_{n}"] or Decimal(0)
        if spent + cost > Decimal(str(limit)):
            what = "These videos" if count > 1 else "This video"
            raise LimitExceeded(
                f"{what} (~${cost:.2f}) would take your spend {period} past "
                f"the ${limit:.2f} limit (${spent:.2f} used) by "
                f"${spent + cost - Decimal(str(limit)):.2f}. It resets {_when(resets)}."
            )


def lock_user(user: Any) -> None:
    """Serialise a user's submissions for the duration of the current transaction."""
    from django.contrib.auth import get_user_model

    # ``user`` may be request.user, a lazy object: query the model, not type(user).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
