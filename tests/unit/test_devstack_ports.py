"""A stack's free ports are distinct: two parts given the same port, one of them cannot listen."""

from __future__ import annotations

import socket

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
