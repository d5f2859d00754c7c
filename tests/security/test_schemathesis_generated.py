"""Schemathesis' generated runs against each service (see test_schemathesis.py for what is checked and why).

On a PostgreSQL stack of their own: the runs take minutes, and on the run's shared stacks they made the worker
holding those stacks the last to finish.
"""

from __future__ import annotations

import pytest

from shared.devstack import Stack
from tests.security.test_schemathesis import FuzzWorld, build_world, hypothesis_home, load, run  # noqa: F401

pytestmark = pytest.mark.parametrize("own_stack", ["postgresql"], indirect=True)


@pytest.fixture(scope="module")
def stack(own_stack: Stack) -> Stack:
    return own_stack


@pytest.fixture(scope="module")
def fuzz_world(stack: Stack) -> FuzzWorld:
    return build_world(stack)


# In depth on PostgreSQL, the stricter database (a NUL in text, 64-bit integers); the targeted checks of
# test_schemathesis.py run on both databases.
@pytest.mark.parametrize(
    ("service", "pinned"),
    [
        ("offers", False),
        ("offers", True),
        ("matching", False),
        ("notifications", False),
        ("reporting", False),
        ("reporting", True),
    ],
    ids=lambda value: {True: "own-objects", False: "any-ids"}.get(value, value),
)
def test_generated_input_gets_no_5xx_and_answers_as_documented(
    stack: Stack, fuzz_world: FuzzWorld, service: str, pinned: bool
) -> None:
    tried, failures = run(load(stack, fuzz_world, service, pinned=pinned))
    print(f"\n{service} ({'own objects' if pinned else 'generated ids'}): {sum(tried.values())} cases")
    for label, count in sorted(tried.items()):
        print(f"  {label:70} {count:5} cases")
    assert len(tried) >= 3, tried  # the operations of the service were reached
    assert not failures, "\n".join(dict.fromkeys(failures))
