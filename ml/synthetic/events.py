"""Synthetic clickstream events in the REES46 layout, for tests and benchmarks at tens of millions of rows.

event_time ('2019-10-01 00:00:00 UTC'), event_type (view / cart / remove_from_cart / purchase), product_id,
category_id, category_code (dotted, often empty), brand (often empty), price, user_id, user_session.
Users come from four planted behaviour groups with their own activity, funnel and price level, so tests
can check that the segmentation recovers them. Activity is heavy-tailed, sessions hold several events,
and a small share of sessions has no user_session (the 30-minute rule applies). Deterministic per seed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

START = np.datetime64("2019-10-01T00:00:00", "s")
# group: share of users, sessions (mean), events per session (mean), P(cart | event), P(purchase | cart),
#        price factor, active window (start, end) as shares of the period
GROUPS = {
    "high_value_loyal": (0.08, 14.0, 9.0, 0.30, 0.55, 2.5, 0.0, 1.0),
    "frequent_browser": (0.22, 10.0, 14.0, 0.03, 0.03, 1.0, 0.0, 1.0),
    "occasional_buyer": (0.40, 2.0, 5.0, 0.50, 0.90, 0.8, 0.55, 1.0),
    "inactive": (0.30, 1.5, 4.0, 0.03, 0.0, 0.8, 0.0, 0.2),
}
# None = empty in the file, as category_code and brand often are in the real data.
CATEGORIES = [
    "electronics.smartphone",
    "appliances.kitchen.washer",
    "computers.notebook",
    "apparel.shoes",
    "furniture.living_room.sofa",
    "electronics.audio.headphone",
    None,
    None,
    None,
]
BRANDS = ["samsung", "apple", "xiaomi", "huawei", "lg", "sony", "bosch", None, None]


def events_per_user() -> float:
    return sum(share * sessions * events for share, sessions, events, *_ in GROUPS.values())


def plan_users(n_events: int, days: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_users = max(int(n_events / events_per_user()), 40)
    names = list(GROUPS)
    shares = np.array([GROUPS[g][0] for g in names])
    group = rng.choice(len(names), size=n_users, p=shares / shares.sum())
    return pd.DataFrame(
        {"user_id": 500_000_000 + rng.permutation(n_users * 3)[:n_users], "group": np.array(names)[group]}
    )


def generate_events(
    n_events: int,
    days: int = 28,
    seed: int = 0,
    timestamps: bool = False,
    users: pd.DataFrame | None = None,
    chunk: int = 0,
    session_scale: float = 1.0,
) -> pd.DataFrame:
    """About ``n_events`` events over ``days`` days, sorted by time, as an export would write them.

    ``users`` and ``chunk`` generate one part of a larger population (write_events_at_scale);
    ``timestamps`` keeps event_time as a timestamp (the writers format it in DuckDB, much faster).
    """
    rng = np.random.default_rng(seed + 1 + 7919 * chunk)
    users = plan_users(n_events, days, seed) if users is None else users
    params = np.array([GROUPS[g][1:] for g in users["group"]])
    # Heavy-tailed activity within each group (log-normal), at least one session per user.
    activity = rng.lognormal(-0.08, 0.4, len(users))
    if session_scale < 1:  # one part of a larger file set: a share of each user's sessions, maybe none
        sessions_per_user = rng.poisson(params[:, 0] * activity * session_scale)
    else:
        sessions_per_user = 1 + rng.poisson(np.maximum(params[:, 0] * activity - 1, 0))
    session_user = np.repeat(np.arange(len(users)), sessions_per_user)
    period = days * 86_400
    window_start, window_end = params[session_user, 5] * period, params[session_user, 6] * period
    start = (window_start + rng.uniform(0, 1, len(session_user)) * (window_end - window_start)).astype(np.int64)
    length = np.maximum(1, rng.poisson(params[session_user, 1])).astype(int)
    event_session = np.repeat(np.arange(len(session_user)), length)
    user = session_user[event_session]
    offset = _ranks(length)
    seconds = start[event_session] + offset * rng.integers(5, 120, len(event_session))
    p_cart, p_buy, price_factor = params[user, 2], params[user, 3], params[user, 4]
    draw = rng.random(len(user))
    event_type = np.where(draw < p_cart * p_buy, "purchase", np.where(draw < p_cart, "cart", "view"))
    event_type = np.where((event_type == "cart") & (rng.random(len(user)) < 0.15), "remove_from_cart", event_type)
    n_products = 20_000
    product = rng.zipf(1.3, len(user)) % n_products
    base_price = np.round(np.exp(rng.normal(4.0, 1.0, n_products)), 2)
    category = rng.integers(0, len(CATEGORIES), n_products)
    brand = rng.integers(0, len(BRANDS), n_products)
    session_ids = ("s-" + pd.Series(np.arange(len(session_user)) + seed * 100_000_000).astype(str)).to_numpy()[
        event_session
    ]
    session_text = np.where(rng.random(len(user)) < 0.03, None, session_ids)  # some sessions lost their id
    times = START + seconds.astype("timedelta64[s]")
    frame = pd.DataFrame(
        {
            "event_time": times if timestamps else pd.Series(times).dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "event_type": event_type,
            "product_id": 1_000_000 + product,
            "category_id": 2_053_013_552_000_000_000 + category[product],
            "category_code": np.array(CATEGORIES, dtype=object)[category[product]],
            "brand": np.array(BRANDS, dtype=object)[brand[product]],
            "price": np.round(base_price[product] * price_factor, 2),
            "user_id": users["user_id"].to_numpy()[user],
            "user_session": session_text,
        }
    )
    frame["_t"] = seconds
    frame = frame.sort_values(["_t", "user_id"], kind="stable").drop(columns="_t").reset_index(drop=True)
    return frame


def _ranks(length: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 for every session, vectorised."""
    ends = np.cumsum(length)
    return np.arange(ends[-1]) - np.repeat(ends - length, length)


def planted_groups(n_events: int, days: int = 28, seed: int = 0) -> pd.DataFrame:
    return plan_users(n_events, days, seed)


def write_events(
    folder: Path, n_events: int, files: int = 1, days: int = 28, seed: int = 0, file_format: str = "csv"
) -> list[Path]:
    """Write the events split by time into ``files`` files (e.g. one per week); returns their paths."""
    frame = generate_events(n_events, days, seed)
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, len(frame), files + 1).astype(int)
    paths = []
    with duckdb.connect() as connection:
        for i in range(files):
            part = frame.iloc[bounds[i] : bounds[i + 1]]
            path = folder / f"events_{i + 1:02d}.{file_format}"
            connection.register("part", part)
            target = str(path).replace("'", "''")
            options = "(format parquet)" if file_format == "parquet" else "(header, delimiter ',')"
            connection.execute(f"copy part to '{target}' {options}")
            connection.unregister("part")
            paths.append(path)
    return paths


def write_events_at_scale(
    folder: Path, n_events: int, files: int, days: int = 28, seed: int = 0, file_format: str = "csv"
) -> list[Path]:
    """Tens of millions of events without holding them all: one population of users, ``files`` parts
    generated one at a time (each part a share of every user's activity over the whole period, so
    sessions of a part are new sessions), written by DuckDB."""
    users = plan_users(n_events, days, seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with duckdb.connect() as connection:
        for part in range(files):
            frame = generate_events(
                n_events // files,
                days,
                seed,
                timestamps=True,
                users=users,
                chunk=part,
                session_scale=1 / files,
            )
            frame["user_session"] = frame["user_session"].where(
                frame["user_session"].isna(), frame["user_session"] + f"-{part}"
            )
            path = folder / f"events_{part + 1:02d}.{file_format}"
            connection.register("part", frame)
            target = str(path).replace("'", "''")
            options = "(format parquet)" if file_format == "parquet" else "(header, delimiter ',')"
            connection.execute(
                "copy (select strftime(event_time, '%Y-%m-%d %H:%M:%S') || ' UTC' as event_time, "
                f"* exclude (event_time) from part) to '{target}' {options}"
            )
            connection.unregister("part")
            del frame
            paths.append(path)
    return paths


def write_daily_events(
    folder: Path, n_events: int, days: int = 31, seed: int = 0, file_format: str = "csv"
) -> list[Path]:
    """The same population as write_events_at_scale, delivered as an export would arrive: one file per day
    (events_2019-10-01.csv, ...), so a build can land a history and then one more day."""
    parts = folder / "_parts"
    write_events_at_scale(parts, n_events, files=5, days=days, seed=seed, file_format="parquet")
    options = "(format parquet)" if file_format == "parquet" else "(header, delimiter ',')"
    paths = []
    with duckdb.connect() as connection:
        source = f"read_parquet('{str(parts).replace(chr(39), chr(39) * 2)}/*.parquet')"
        for day in range(days):
            date = (START + np.timedelta64(day, "D")).astype("datetime64[D]")
            path = folder / f"events_{date}.{file_format}"
            target = str(path).replace("'", "''")
            # Ordered by time and user, as the parts are: the files are deterministic per seed.
            connection.execute(
                f"copy (select * from {source} where event_time like '{date} %' "
                f"order by event_time, user_id, user_session, product_id, event_type) to '{target}' {options}"
            )
            paths.append(path)
    for part in parts.iterdir():
        part.unlink()
    parts.rmdir()
    return paths
