"""A stack's free ports are distinct: two parts given the same port, one of them cannot listen."""

from __future__ import annotations

import socket

import pytest

from shared.devstack import Ports, free_ports


def test_ports_chosen_together_are_distinct_and_free() -> None:
    ports = free_ports(64)
    assert len(set(ports)) == 64
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # nothing holds it any more


def test_a_stack_gets_a_port_of_its_own_for_each_part() -> None:
    for _ in range(200):
        ports = Ports.free()
        every = [ports.broker, ports.smtp, ports.mailbox, ports.gateway, ports.mailer, *ports.services.values()]
        assert len(set(every)) == len(every)


def test_within_a_range_ports_come_in_turn_and_skip_those_taken(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each test worker keeps to a range of its own (BOUCLE_PORT_RANGE), below the system's ephemeral ports."""
    monkeypatch.setenv("BOUCLE_PORT_RANGE", "29000-29009")
    monkeypatch.setattr("shared.devstack._next_in_range", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 29001))
        taken.listen()
        assert free_ports(3) == [29000, 29002, 29003]
    assert free_ports(2) == [29004, 29005]  # in turn: a port just handed out is not handed out again at once
    assert free_ports(5) == [29006, 29007, 29008, 29009, 29000]  # then round again
    with pytest.raises(RuntimeError, match="BOUCLE_PORT_RANGE"):
        free_ports(11)
