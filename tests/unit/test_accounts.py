"""The pure rules of accounts: passwords, roles, sessions, emailed links, login throttling, CSRF."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from offers import accounts
from offers.accounts import NotAllowed
from offers.domain import RuleBroken

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


class TestPasswords:
    @pytest.mark.parametrize("password", ["court", "onze caract", "a" * 257])
    def test_too_short_or_too_long_is_refused_on_the_password_field(self, password: str) -> None:
        with pytest.raises(RuleBroken) as refused:
            accounts.check_password(password, "jean@scierie.example")
        assert refused.value.field == "password"
        assert "caractères" in refused.value.message

    @pytest.mark.parametrize(
        "password",
        [
            "jean@scierie.example",
            "JEAN@Scierie.example ",
            "xxxxxxxxxxxxxx",
            "123456789012",
            "061234567800",
            "abababababab",
            "azeazeazeaze",
        ],
    )
    def test_the_address_digits_alone_or_a_few_repeated_characters_are_too_easy(self, password: str) -> None:
        with pytest.raises(RuleBroken, match="trop facile"):
            accounts.check_password(password, "Jean@Scierie.example")

    def test_a_long_phrase_is_enough(self) -> None:
        accounts.check_password("la sciure part le mardi", "jean@scierie.example")

    def test_addresses_compare_without_case_or_spaces(self) -> None:
        assert accounts.normalise_email("  Jean.Roux@Scierie.EXAMPLE ") == "jean.roux@scierie.example"


class TestRoles:
    def test_unknown_roles_are_refused(self) -> None:
        assert accounts.check_role("animateur") == "animateur"
        with pytest.raises(RuleBroken) as refused:
            accounts.check_role("superuser")
        assert refused.value.field == "role"

    @pytest.mark.parametrize(
        ("role", "allowed"), [("member", False), ("org_admin", True), ("animateur", True), ("platform_admin", True)]
    )
    def test_who_manages_an_organisations_tokens_and_users(self, role: str, allowed: bool) -> None:
        assert accounts.can_manage_organisation(role) is allowed
        if not allowed:
            with pytest.raises(NotAllowed, match="administrateurs"):
                accounts.check_can_manage_organisation(role)

    @pytest.mark.parametrize("new_role", accounts.ROLES)
    def test_a_platform_admin_grants_any_role_to_anyone(self, new_role: str) -> None:
        assert accounts.check_can_grant("platform_admin", "member", new_role, same_organisation=False) == new_role

    def test_an_organisation_admin_moves_its_own_users_between_member_and_admin(self) -> None:
        assert accounts.check_can_grant("org_admin", "member", "org_admin", same_organisation=True) == "org_admin"
        assert accounts.check_can_grant("org_admin", "org_admin", "member", same_organisation=True) == "member"

    @pytest.mark.parametrize(
        ("actor", "current", "new_role", "same"),
        [
            ("org_admin", "member", "animateur", True),  # appointing an animateur is the platform's
            ("org_admin", "member", "platform_admin", True),
            ("org_admin", "platform_admin", "member", True),  # nor can it dismiss one that sits in its organisation
            ("org_admin", "member", "org_admin", False),  # another organisation's user
            ("member", "member", "org_admin", True),
            ("animateur", "member", "animateur", True),
        ],
    )
    def test_what_only_a_platform_admin_may_do(self, actor: str, current: str, new_role: str, same: bool) -> None:
        with pytest.raises(NotAllowed):
            accounts.check_can_grant(actor, current, new_role, same_organisation=same)

    def test_an_organisation_keeps_an_administrator(self) -> None:
        assert not accounts.keeps_an_administrator(0, "member")
        assert accounts.keeps_an_administrator(0, "animateur")
        assert accounts.keeps_an_administrator(1, "member")

    def test_the_first_user_runs_its_organisation_and_a_token_acts_as_its_administrator(self) -> None:
        assert accounts.FIRST_USER_ROLE == accounts.TOKEN_ROLE == "org_admin"


class TestSessions:
    def test_a_session_lasts_fourteen_days_unless_revoked(self) -> None:
        ends = accounts.session_expiry(NOW)
        assert ends == NOW + timedelta(days=14)
        assert accounts.session_active(ends, None, NOW + timedelta(days=13, hours=23))
        assert not accounts.session_active(ends, None, ends)
        assert not accounts.session_active(ends, NOW, NOW + timedelta(minutes=1))

    def test_it_slides_with_use_but_is_written_at_most_hourly(self) -> None:
        ends = accounts.session_expiry(NOW)
        assert accounts.slid_expiry(ends, NOW + timedelta(minutes=59)) is None
        assert accounts.slid_expiry(ends, NOW + timedelta(hours=1)) == ends + timedelta(hours=1)
        assert accounts.slid_expiry(ends, NOW + timedelta(days=10)) == NOW + timedelta(days=24)


class TestEmailedLinks:
    def test_a_link_works_once_within_the_hour(self) -> None:
        expires = accounts.link_expiry(NOW)
        assert expires == NOW + timedelta(hours=1)
        assert accounts.link_usable(expires, None, NOW + timedelta(minutes=59))
        assert not accounts.link_usable(expires, None, expires)
        assert not accounts.link_usable(expires, NOW + timedelta(minutes=1), NOW + timedelta(minutes=2))

    def test_a_few_links_per_window_then_silence(self) -> None:
        assert accounts.may_send_link(accounts.LINKS_PER_WINDOW - 1)
        assert not accounts.may_send_link(accounts.LINKS_PER_WINDOW)


class TestLoginThrottling:
    def test_five_failures_per_email_or_per_address_within_fifteen_minutes(self) -> None:
        assert accounts.window_start(NOW) == NOW - timedelta(minutes=15)
        assert not accounts.login_blocked(4, 4)
        assert accounts.login_blocked(5, 0)
        assert accounts.login_blocked(0, 5)
        assert not accounts.login_blocked(4, None)  # address unknown: the email's count alone

    @pytest.mark.parametrize(
        ("forwarded", "peer", "address"),
        [
            (None, "203.0.113.9", "203.0.113.9"),
            ("198.51.100.1, 203.0.113.7", "127.0.0.1", "203.0.113.7"),  # the hop our gateway added, not the client's
            (None, "127.0.0.1", None),  # the gateway or a test on this machine: not one client
            ("127.0.0.1", "127.0.0.1", None),
            (None, "::1", None),
            (None, "testclient", None),
            ("", None, None),
        ],
    )
    def test_the_client_address_is_the_last_forwarded_hop(
        self, forwarded: str | None, peer: str | None, address: str | None
    ) -> None:
        assert accounts.client_address(forwarded, peer) == address


class TestCsrf:
    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "post"])
    def test_unsafe_cookie_requests_need_the_sessions_token(self, method: str) -> None:
        assert accounts.needs_csrf(method, via_cookie=True)
        assert not accounts.csrf_ok(method, True, None, "secret")
        assert not accounts.csrf_ok(method, True, "", "secret")
        assert not accounts.csrf_ok(method, True, "guess", "secret")
        assert accounts.csrf_ok(method, True, "secret", "secret")

    @pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
    def test_reads_need_none(self, method: str) -> None:
        assert accounts.csrf_ok(method, True, None, "secret")

    def test_a_token_is_not_sent_by_browsers_on_their_own_so_needs_none(self) -> None:
        assert accounts.csrf_ok("POST", False, None, "secret")


def test_password_hashes_run_at_once_as_the_memory_limit_allows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A quarter of the pod's memory for argon2 (issue 19, point 4): the offers pod's 512 MiB at the default 64 MiB
    cost gives 2 hashes at once, the suite's cheap 8 MiB cost 4 at most, a small pod still 1."""
    from offers.accounts_service import container_memory_limit, hashing_slots

    mib = 1024 * 1024
    assert hashing_slots(65_536, 512 * mib) == 2
    assert hashing_slots(65_536, 2048 * mib) == 4
    assert hashing_slots(65_536, 128 * mib) == 1
    assert hashing_slots(8192, 512 * mib) == 4
    assert hashing_slots(65_536, None) == 2
    limit = tmp_path / "memory.max"
    limit.write_text("536870912\n")
    assert container_memory_limit(limit) == 512 * mib
    limit.write_text("max\n")
    assert container_memory_limit(limit) is None
    assert container_memory_limit(tmp_path / "absent") is None
