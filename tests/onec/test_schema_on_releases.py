"""The schema check of each shipped profile against the `$metadata` of a sandbox base built from the facts of each
release the profile claims — УТ 11.5.27 and 11.5.20, УТ 11.4, БП 3.0.198 and 3.0.83, УНФ 3.0.12
(sandboxes/b24sandbox/onec/facts/): the right profile passes with nothing missing, and a profile of another
release of the same configuration is told apart ("another release", naming the profile that fits) from a changed
configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from b24app.onec.schema import check
from tests.onec.onec_sandbox import LOOPBACK, Sandbox

# base name -> (sandbox configuration, the profile for it)
RELEASES = {"ut": ("ut11", "ut11"), "ut520": ("ut11_520", "ut11"), "ut4": ("ut11_4", "ut11_4"),
            "bp": ("bp30", "bp30"), "bp83": ("bp30_83", "bp30_83"), "unf": ("unf", "unf")}


@pytest.fixture(scope="module")
def releases() -> Iterator[Sandbox]:
    server = Sandbox("--counterparties", "30", "--bases", ",".join(f"{b}:{c}" for b, (c, _) in RELEASES.items()))
    yield server
    server.stop()


@pytest.mark.parametrize("base", list(RELEASES))
def test_each_release_passes_its_own_profile_with_nothing_missing(releases, base):
    report = check(releases.base(base, profile=RELEASES[base][1]), egress=LOOPBACK)
    assert report.ok, report.render_text()
    assert not report.missing_fields and not report.changed_types, report.render_text()


@pytest.mark.parametrize(("base", "wrong", "right"), [("ut4", "ut11", "ut11_4"), ("bp83", "bp30", "bp30_83")])
def test_a_profile_of_another_release_is_named_as_such(releases, base, wrong, right):
    report = check(releases.base(base, profile=wrong), egress=LOOPBACK)
    assert not report.ok
    assert right in {f.name for f in report.fitting}, report.render_text()
    assert "не подходит к релизу" in report.instructions()["ru"]
