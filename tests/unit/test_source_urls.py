"""Source addresses in the curated data: one rule for every file, and every address in data/ passes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.source_urls import addresses_in, check_source_url, main, source_list
from tests.conftest import DATA_DIR


@pytest.mark.parametrize(
    "address",
    [
        "https://www.ecfmg.org/eras/applicants-documents-index.html",
        "https://ecfmg.org/2024ib/credentials-verification.html",
        "https://gp.ecfmg.org/focus/issue88.html",
        "https://students-residents.aamc.org/applying-residencies-eras/eras-2027",
        "https://www2.example.org/page?a=1#part",
        "https://en.wikipedia.org/wiki/Match_Day_(medicine)",
    ],
)
def test_plausible_https_addresses_pass(address: str) -> None:
    assert check_source_url(address) == address


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("", "is missing"),
        ("http://www.nrmp.org/match", "must start with https://"),
        ("www.nrmp.org/match", "must start with https://"),
        ("htps://www.nrmp.org", "must start with https://"),
        ("https:/www.nrmp.org", "needs a full host name"),
        ("https://localhost/page", "needs a full host name"),
        ("https://www.nrmp.org/the match", "must not contain spaces"),
        ("https://ww.faimer.org/eras/applicants-documents-index.html", "looks like a typo of www.faimer.org"),
        ("https://wwww.nrmp.org/", "looks like a typo of www.nrmp.org"),
        ("https://w.nrmp.org/", "looks like a typo of www.nrmp.org"),
        ("https://https.www.nrmp.org/", "is https:// written twice"),
        ("https://www..nrmp.org/", "that a web address cannot have"),
        ("https://www.nrmp_org.com/", "that a web address cannot have"),
        ("https://www.nrmp.o/", "does not end in a domain"),
        ("https://www.nrmp.org:8443/", "port"),
        ("https://user@www.nrmp.org/", "user name"),
    ],
)
def test_malformed_or_typo_looking_addresses_are_refused(address: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        check_source_url(address)


def test_every_source_address_in_the_data_passes_and_none_is_a_mirror_host() -> None:
    files = [p for p in DATA_DIR.rglob("*") if p.suffix in {".md", ".yaml"}]
    listing = source_list(files, DATA_DIR)
    addresses = [address for by_address in listing.values() for address in by_address]
    assert len(addresses) > 150  # the listing really read the data
    for address in addresses:
        check_source_url(address)
    # Found in the data before: ECFMG pages cited on staging or mirror hosts instead of www.ecfmg.org.
    assert not {"ww.faimer.org", "tsemswp.ecfmg.org", "xapi.ecfmg.org", "csess2.ecfmg.org"} & set(listing)


def test_the_review_list_prints_every_host_and_flags_what_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.md").write_text(
        "sources: https://www.nrmp.org/a, https://ww.nrmp.org/b.\nsee http://www.nrmp.org/c\n", encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text("source: https://www.nrmp.org/a\n", encoding="utf-8")
    assert addresses_in("(https://www.nrmp.org/a).") == ["https://www.nrmp.org/a"]
    assert main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "www.nrmp.org  (2 addresses)" in out and "    https://www.nrmp.org/a  (a.md, b.yaml)" in out
    assert "  ! https://ww.nrmp.org/b  (a.md)" in out and "  ! http://www.nrmp.org/c  (a.md)" in out
    assert out.rstrip().endswith("3 addresses on 2 hosts; 2 refused (marked !).")
