"""The owners table (memlens/sizing/owners.py) on its memory map against a plain dict
model of what ``claim`` means: batches with repeats, several roots, tags of two bytes,
dense and sparse keys, and batches whose first object misleads the guessed fast path."""

from __future__ import annotations

import random

import pytest

from memlens.sizing import claims, owners
from memlens.sizing.owners import FENCE_TAG, SKIP_TAG, UNSEEN, Owners, own_tag

pytestmark = pytest.mark.skipif(owners._address_bits() is None, reason="no memory map here")


def translation(root: int, roots: int) -> list[int]:
    """What the walk gives root ``root`` (see memlens/sizing/walk.py ``_walk_root``)."""
    own, mine = own_tag(root), own_tag(root) + 1
    translate = [mine] * (own_tag(roots) + 2)
    translate[UNSEEN] = translate[own] = own
    translate[SKIP_TAG] = SKIP_TAG
    translate[FENCE_TAG] = FENCE_TAG
    return translate


def model_claim(
    table: dict[int, int], batch: list[object], translate: list[int]
) -> tuple[set[int], dict[int, int]]:
    """Fresh ids, and changed ids with their old tags (each object once, first meeting)."""
    fresh: set[int] = set()
    changed: dict[int, int] = {}
    for obj in batch:
        key = id(obj)
        old = table.get(key, UNSEEN)
        table[key] = translate[old]
        if old == UNSEEN:
            fresh.add(key)
        elif translate[old] != old:
            changed[key] = old
    return fresh, changed


def mapped(roots: int) -> Owners:
    table = Owners(own_tag(roots))
    table._grow()
    assert table.view is not None
    return table


@pytest.mark.parametrize("roots", [3, 200])  # one-byte and two-byte tags
@pytest.mark.parametrize("seed", range(6))
def test_claim_matches_the_model(roots: int, seed: int) -> None:
    rng = random.Random(seed)
    objects = [float(i) for i in range(20_000)]  # dense: allocated together
    sparse = [[float(i)] * 50 for i in range(200)]  # keys far apart (lists of 50 refs)
    table, model = mapped(roots), {}
    skipped = objects[::97]
    table.seed(map(id, skipped), SKIP_TAG)
    model.update(dict.fromkeys(map(id, skipped), SKIP_TAG))
    for step in range(120):
        root = rng.randrange(min(roots, 5))
        translate = translation(root, roots)
        start = rng.randrange(len(objects))
        batch: list[object] = objects[start : start + rng.randrange(1, 3000)]
        if step % 3 == 0:
            batch = batch + batch[: rng.randrange(1, 50)]  # repeats in one batch
        if step % 5 == 0:
            rng.shuffle(batch)
        if step % 7 == 0:
            batch = batch + rng.sample(sparse, 5)
        fresh, changed, old, tags = table.claim(list(batch), translate)
        want_fresh, want_changed = model_claim(model, batch, translate)
        assert len(fresh) == len(want_fresh) and {id(x) for x in fresh} == want_fresh
        assert len(changed) == len(want_changed)
        assert {id(x): tag for x, tag in zip(changed, old)} == want_changed
        assert len(tags) >= len(set(map(id, batch)))
    for key, tag in model.items():
        assert table.view[key >> 4] == tag
    table.close()


def test_a_misleading_first_object_leaves_the_table_as_it_was() -> None:
    """The guessed path writes before it knows; when the count disagrees it undoes."""
    objects = [float(i) for i in range(5000)]
    table = mapped(3)
    table.claim(objects[2000:3000], translation(0, 3))  # root 0 met these
    batch: list[object] = objects[:4000]  # first object new, some met by root 0
    fresh, changed, old, _ = table.claim(batch, translation(1, 3))
    assert {id(x) for x in fresh} == {id(x) for x in objects[:2000] + objects[3000:4000]}
    assert {id(x) for x in changed} == {id(x) for x in objects[2000:3000]}
    assert set(old) == {own_tag(0)}
    assert all(table.view[id(x) >> 4] == own_tag(1) + 1 for x in objects[2000:3000])
    assert all(table.view[id(x) >> 4] == UNSEEN for x in objects[4000:])
    table.close()


@pytest.mark.parametrize("layout", ["ordered", "runs", "reversed", "shuffled", "short"])
def test_bounds_are_the_exact_lowest_and_highest(layout: str) -> None:
    """``claims.bounds`` sorts a copy when sampled keys look ordered and uses min/max
    otherwise; either way (and when the sample misleads) the bounds are exact."""
    rng = random.Random(7)
    keys = [rng.randrange(1 << 40) for _ in range(20_000)]
    if layout == "ordered":
        keys.sort()
    elif layout == "runs":  # a few increasing runs, each below the last (new arenas)
        keys = [key for start in (5, 3, 4, 1) for key in range(start << 30, (start << 30) + 5000)]
    elif layout == "reversed":
        keys.sort(reverse=True)
    elif layout == "short":
        keys = keys[:50]
    before = list(keys)
    assert claims.bounds(keys) == (min(before), max(before))
    assert keys == before  # the caller's order is kept: keys stay paired with objects


def test_bounds_with_a_misleading_sample() -> None:
    """Keys in order at every sampled position but not between them."""
    keys = list(range(0, 64_000, 10))
    step = len(keys) // claims._ORDER_PROBES
    for i in range(len(keys)):
        if i % step:
            keys[i] = -i if i % 7 == 0 else 10**9 + i  # off-sample extremes
    assert claims.bounds(keys) == (min(keys), max(keys))
