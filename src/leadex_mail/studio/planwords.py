"""A send's plan in the officer's words: where the messages go and how fast, from the plan's facts.

The command line prints ``CampaignPlan.transport`` and ``.rate`` ("smtp 127.0.0.1:2525 (none)",
"600/min, 20000/h"); the review says ``CampaignPlan.route`` and ``.rates`` with the catalogs'
``plan_route_<kind>``, ``plan_security_<security>`` and ``plan_rate_<unit>`` (``plan_rate_none``
without a limit), never a setting's or a transport's name.

Shapes: ``route_words(route, words) -> str``; ``rate_words(rates, words) -> str``. No errors are raised.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadex_mail.campaign.ratelimit import Rate
from leadex_mail.campaign.runner import Route
from leadex_mail.studio.i18n import Words

_UNITS = {1.0: "s", 60.0: "min", 3600.0: "h"}  # the windows ``parse_rates`` reads (a second, a minute, an hour)


def route_words(route: Route, words: Words) -> str:
    """Where the messages go: into files on this computer, or through which mail server and how safely."""
    if route.kind == "outbox":
        return words.t("plan_route_outbox")
    return words.t("plan_route_smtp", host=route.host, port=route.port, security=words.t(f"plan_security_{route.security}"))


def rate_words(rates: Sequence[Rate], words: Words) -> str:
    """Every limit of the sending rate ("at most 600 messages a minute, at most 20000 messages an hour"), or "no limit"."""
    if not rates:
        return words.t("plan_rate_none")
    said = []
    for rate in rates:
        unit = _UNITS.get(rate.window)
        # A window of other seconds (``parse_rates`` reads none today): per second, rounded to whole messages.
        said.append(words.t(f"plan_rate_{unit}", n=rate.count) if unit else words.t("plan_rate_s", n=max(1, round(rate.per_second))))
    return ", ".join(said)
