"""What-if views never change their base engine, even queried from two threads (issue 23).

A view (:meth:`TravelEngine.with_sites`) shares its base's network and per-service
vectors; it must not write into the base's caches (its sites' opening hours used to
land in the base's opening-hours cache: one view query grew it from 0 to 2 entries).
"""

from __future__ import annotations

import copy
import threading

import numpy as np
import pandas as pd
import scipy.sparse as sp
from shapely.geometry import Point

from mapping.network.graph import RoadNetwork
from mapping.routing.engine import TravelEngine


def _line(n: int = 8, seconds: float = 300.0) -> RoadNetwork:
    """Two-way road 0 - 1 - ... - n-1, ``seconds`` per hop (daytime 1.5 times slower)."""
    rows = [*range(n - 1), *range(1, n)]
    cols = [*range(1, n), *range(n - 1)]
    free = sp.csr_matrix((np.full(len(rows), seconds), (rows, cols)), shape=(n, n))
    day = free.copy()
    day.data = day.data * 1.5
    length = free.copy()
    length.data = length.data * 10.0
    xy = np.column_stack([350_000.0 + 500.0 * np.arange(n), np.full(n, 430_000.0)])
    return RoadNetwork(
        node_xy=xy,
        seconds={"free_flow": free, "daytime": day},
        length_m=length,
        highway=np.full(free.nnz, "urban", dtype=object),
        source="offline",
        meta={"test": True},
    )


def _service(sid: str, xy: np.ndarray, hours: str, category: str = "sarc") -> dict:
    return {
        "id": sid,
        "name": sid,
        "category": category,
        "opening_hours": hours,
        "min_age": None,
        "max_age": None,
        "crime_types": ("all",),
        "confidential": False,
        "provider_area": "Lancashire",
        "geometry": Point(*xy),
    }


def _register(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for name in ("min_age", "max_age"):
        frame[name] = pd.array(frame[name].tolist(), dtype="Int64")
    return frame


def _state(engine: TravelEngine) -> dict:
    """Everything a base engine holds that a view could write into."""
    return {
        "rows": copy.deepcopy(engine._rows),
        "index": dict(engine._index),
        "n_own": engine._n_own,
        "categories": set(engine._known_categories),
        "open_cache": engine._open_cache.keys(),
        "minutes": {p: m.copy() for p, m in engine._minutes.items()},
        "done": {p: d.copy() for p, d in engine._done.items()},
        "services": engine.services.copy(),
        "skipped": engine.skipped.copy(),
    }


def test_base_engine_is_unchanged_after_what_if_queries_from_two_threads() -> None:
    net = _line()
    base = TravelEngine(
        net,
        net.node_xy,
        _register(
            _service("day", net.node_xy[1], "Mo-Fr 09:00-17:00"),
            _service("night", net.node_xy[7], "24/7"),
            _service("idva", net.node_xy[4], "Mo-Su 08:00-20:00", category="idva"),
        ),
    )
    base.warm()  # the shared vectors are the base's, filled by the base
    answers = {at: base.nearest("sarc", at=at) for at in ("Sat 02:00", "Tue 10:00")}
    before = _state(base)
    assert len(before["open_cache"]) == 4  # two services' hours at two moments

    errors: list[BaseException] = []
    slots = ["Sat 02:00", "Tue 10:00", "Wed 13:30", "Sun 23:00", "Mon 07:00", "Fri 18:45"]

    def ask(thread: int) -> None:
        try:
            for round_ in range(5):
                hours = ("Sa 00:00-06:00", "Mo-Fr 12:00-14:00")[(thread + round_) % 2]
                sid = f"pop-up-{thread}-{round_}"
                site = {"id": sid, "xy": tuple(net.node_xy[2 + thread]), "category": "sarc"}
                view = base.with_sites([{**site, "opening_hours": hours}])
                for at in slots:
                    result = view.nearest("sarc", at=at, extra_services=[sid])
                    view.update_nearest(view.nearest("sarc", at=at), sid)
                    assert np.isfinite(result.minutes).all()
                view.minutes_to([sid, "night"], "daytime")
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

    after = _state(base)
    assert after["open_cache"] == before["open_cache"]  # no view's hours, no new moment
    assert after["rows"] == before["rows"]
    assert after["index"] == before["index"] and after["n_own"] == before["n_own"]
    assert after["categories"] == before["categories"]
    pd.testing.assert_frame_equal(after["services"], before["services"])
    pd.testing.assert_frame_equal(after["skipped"], before["skipped"])
    assert after["minutes"].keys() == before["minutes"].keys()
    for profile, minutes in before["minutes"].items():
        np.testing.assert_array_equal(after["minutes"][profile], minutes)
        np.testing.assert_array_equal(after["done"][profile], before["done"][profile])
    for at, answer in answers.items():
        again = base.nearest("sarc", at=at)
        np.testing.assert_array_equal(again.minutes, answer.minutes)
        assert list(again.service_id) == list(answer.service_id)


def test_a_view_keeps_its_own_opening_hours_answers() -> None:
    net = _line(n=4)
    base = TravelEngine(net, net.node_xy, _register(_service("s", net.node_xy[3], "24/7")))
    spec = {"id": "w", "xy": tuple(net.node_xy[0]), "category": "sarc"}
    view = base.with_sites([{**spec, "opening_hours": "Sa 00:00-06:00"}])
    view.nearest("sarc", at="Sat 02:00", extra_services=["w"])
    assert len(base._open_cache) == 0
    assert len(view._open_cache) == 2  # "24/7" and the pop-up's hours, at one moment
    assert view._open_cache is not base._open_cache
