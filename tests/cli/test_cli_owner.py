"""guardctl owner show | propose | accept, pause / unpause, settings show | set."""
from __future__ import annotations


def test_two_step_ownership_transfer(guardctl, guard, owner, make_account):
    successor = make_account("successor", 2)
    shown = guardctl.ok("--guard", guard, "owner", "show", "--json").json()
    assert shown == {"guard": guard, "owner": owner.account_id, "proposed_owner": None}

    guardctl.ok("--account", owner.account_id, "--guard", guard, "owner", "propose", successor.account_id)
    shown = guardctl.ok("--guard", guard, "owner", "show", "--json").json()
    assert shown["owner"] == owner.account_id and shown["proposed_owner"] == successor.account_id

    # Only the proposed account can accept.
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "owner", "accept")
    assert f"proposed owner is {successor.account_id}" in run.stderr

    accepted = guardctl.ok("--account", successor.account_id, "--guard", guard, "owner", "accept", "--json").json()
    assert accepted["owner"] == successor.account_id
    assert guardctl.ok("--guard", guard, "owner", "show", "--json").json()["proposed_owner"] is None

    # The previous owner has lost its rights; the new one has them.
    run = guardctl.fails("--account", owner.account_id, "--guard", guard, "pause")
    assert "is not the owner" in run.stderr
    guardctl.ok("--account", successor.account_id, "--guard", guard, "pause")


def test_pause_and_unpause(guardctl, guard, owner):
    paused = guardctl.ok("--account", owner.account_id, "--guard", guard, "pause", "--json").json()
    assert paused["paused"] is True and paused["changed"] is True
    assert guardctl.ok("--guard", guard, "info", "--json").json()["paused"] is True
    again = guardctl.ok("--account", owner.account_id, "--guard", guard, "pause", "--json").json()
    assert again["changed"] is False  # nothing sent
    resumed = guardctl.ok("--account", owner.account_id, "--guard", guard, "unpause").stdout
    assert "running again" in resumed
    assert guardctl.ok("--guard", guard, "info", "--json").json()["paused"] is False


def test_settings_set_changes_only_what_is_named(guardctl, guard, owner):
    assert guardctl.ok("--guard", guard, "settings", "show", "--json").json()["settings"] == {}
    guardctl.ok("--account", owner.account_id, "--guard", guard, "settings", "set", "--audience", "app-1")
    guardctl.ok("--account", owner.account_id, "--guard", guard, "settings", "set",
                "--issuer", "https://a.example/", "--issuer", "https://b.example/")
    settings = guardctl.ok("--guard", guard, "settings", "show", "--json").json()["settings"]
    assert settings == {"audience": "app-1", "issuers": ["https://a.example/", "https://b.example/"]}
    guardctl.ok("--account", owner.account_id, "--guard", guard, "settings", "set", "--clear-audience")
    settings = guardctl.ok("--guard", guard, "settings", "show", "--json").json()["settings"]
    assert settings == {"issuers": ["https://a.example/", "https://b.example/"]}
    text = guardctl.ok("--guard", guard, "settings", "show").stdout
    assert "https://a.example/" in text


def test_settings_set_needs_something_to_change(guardctl, guard, owner):
    guardctl.fails("--account", owner.account_id, "--guard", guard, "settings", "set")
