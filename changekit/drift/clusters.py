"""Group hosts whose data for one collector is identical, so each distinct shape is judged once.

A fleet is mostly alike: thousands of hosts share a handful of package sets. Comparing
two dicts with ``==`` runs in C and stops at the first difference (at once when their sizes
differ), so clustering costs about one comparison per host against the biggest cluster.
"""

from __future__ import annotations

from operator import eq
from typing import Any

from changekit.drift.memo import PairMemo

_EQUAL = PairMemo(512)
"""Whether two distinct objects are equal, by identity: the same pairs meet in every scan."""

MAX_SEARCH = 8
"""Compare a host against at most this many of the largest clusters before opening its own."""


def cluster(hosts: list[str], datas: dict[str, Any]) -> list[tuple[Any, list[str]]]:
    """``[(data, [hosts...])]``: hosts with equal data together, largest clusters first."""
    clusters: list[tuple[Any, list[str]]] = []
    order: list[int] = []  # cluster indexes, largest first (kept roughly sorted)
    by_id: dict[int, int] = {}  # id of a cluster's data -> its index (the data stays alive)
    for host in hosts:
        data = datas[host]
        same = by_id.get(id(data))
        rank = order.index(same) if same is not None else MAX_SEARCH
        if rank < MAX_SEARCH:  # the very object (facts shared from one stored blob)
            clusters[same][1].append(host)  # type: ignore[index]
            if rank and len(clusters[order[rank]][1]) > len(clusters[order[rank - 1]][1]):
                order[rank - 1], order[rank] = order[rank], order[rank - 1]
            continue
        for rank, idx in enumerate(order[:MAX_SEARCH]):
            rep, members = clusters[idx]
            if _EQUAL.get(rep, data, eq):
                members.append(host)
                if rank and len(members) > len(clusters[order[rank - 1]][1]):
                    order[rank - 1], order[rank] = order[rank], order[rank - 1]
                break
        else:
            clusters.append((data, [host]))
            order.append(len(clusters) - 1)
            by_id[id(data)] = len(clusters) - 1
    return [clusters[i] for i in order]
