"""Calendar pauses: one deactivation of the host's link per break, at most one reactivation, on at the end.

The fake records each applied write of a link's `onlineBooking.enabled` (`SoakFakeWix.link_writes`);
a write belongs to the latest break of that link's host before it.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from bench.soak.evidence import connection_story
from bench.soak.verdict import Check, Inputs, listed


def links(inputs: Inputs) -> list[Check]:
    """Per calendar break: one deactivation of the host's link, at most one reactivation, on at the end."""

    def describe(n: int) -> str:
        e = episodes[n]
        where = f"connection {e.connection_id[:24]}…, service {e.service_id}"
        return f"break {n} ({where}): {offs[n]} off, {ons[n]} on"

    episodes = sorted(inputs.truth.episodes, key=lambda e: e.broke_at)
    by_service: dict[str, list[int]] = defaultdict(list)
    for number, episode in enumerate(episodes):
        by_service[episode.service_id].append(number)
    offs: Counter[int] = Counter()
    ons: Counter[int] = Counter()
    stray: list[str] = []
    for write in inputs.fake.writes():
        owners = [n for n in by_service.get(write.service_id, []) if episodes[n].broke_at <= write.at]
        if not owners:
            stray.append(
                f"service {write.service_id}: enabled={write.enabled} with no calendar break before it"
            )
            continue
        (ons if write.enabled else offs)[owners[-1]] += 1
    extra_off = [n for n in range(len(episodes)) if offs[n] > 1]
    extra_on = [n for n in range(len(episodes)) if ons[n] > 1]
    missed = [n for n in range(len(episodes)) if offs[n] == 0]
    left_off = []
    for site in inputs.fake.sites:
        for service in site.services.values():
            if not (service.get("onlineBooking") or {}).get("enabled", True):
                breaks = by_service.get(service["id"], [])
                left_off.append(
                    f"service {service['id']} (site {site.instance_id}) is off"
                    + "".join(
                        f"\n{describe(n)}\n{connection_story(inputs.conn, episodes[n].connection_id)}"
                        for n in breaks
                    )
                )

    return [
        Check(
            "doubled",
            "link deactivations per calendar break (0 extra)",
            f"{len(episodes)} breaks; {len(extra_off)} with extra deactivations; {len(missed)} never paused; "
            f"{len(stray)} writes outside a break",
            not (extra_off or stray),
            listed([describe(n) for n in extra_off] + stray),
        ),
        Check(
            "doubled",
            "link reactivations per recovery (≤ 1)",
            f"{len(extra_on)} with more than one",
            not extra_on,
            listed([describe(n) for n in extra_on]),
        ),
        Check(
            "doubled",
            "links left off after every calendar recovered",
            str(len(left_off)),
            not left_off,
            listed(left_off),
        ),
    ]


# -- answers ------------------------------------------------------------------------------------
