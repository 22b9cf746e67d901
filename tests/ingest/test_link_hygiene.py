"""normalize_link and source_domain: one spelling per link, trackers removed, other parameters untouched."""

from __future__ import annotations

import pytest

from pinhaven.errors import InvalidInput
from pinhaven.ingest.urls import MAX_LINK_CHARS, normalize_link, source_domain


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
        ("https://example.com", "https://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?#", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://b\u00fccher.de/kochen", "https://xn--bcher-kva.de/kochen"),
        (
            "https://\u0645\u062b\u0627\u0644.\u0625\u062e\u062a\u0628\u0627\u0631/",
            "https://xn--mgbh0fb.xn--kgbechtv/",
        ),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/caf\u00e9 au lait", "https://example.com/caf%C3%A9%20au%20lait"),
        ("https://example.com/%7euser/%2fdata", "https://example.com/~user/%2Fdata"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
    ],
)
def test_links_get_one_canonical_spelling(link: str, expected: str) -> None:
    assert normalize_link(link) == expected


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            "https://shop.example.com/p/42?utm_source=pinterest&utm_medium=social&utm_campaign=spring&color=red",
            "https://shop.example.com/p/42?color=red",
        ),
        ("https://example.com/?fbclid=IwAR3x&id=7", "https://example.com/?id=7"),
        ("https://example.com/?gclid=abc&dclid=d&msclkid=m&yclid=y", "https://example.com/"),
        (
            "https://example.com/a?mc_eid=1&mc_cid=2&_hsenc=3&_hsmi=4&igshid=5&ref_src=twsrc",
            "https://example.com/a",
        ),
        ("https://example.com/a?UTM_Source=x&Page=2", "https://example.com/a?Page=2"),
        ("https://example.com/a?b=2&a=1&utm_term=x&c=3", "https://example.com/a?b=2&a=1&c=3"),
        ("https://example.com/a?q=caf%c3%a9&&x=", "https://example.com/a?q=caf%C3%A9&x="),
        ("https://example.com/a?q=a+b&q=c", "https://example.com/a?q=a+b&q=c"),
        ("https://example.com/a?utm_source=x#utm_medium=y", "https://example.com/a"),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&si=AbC&feature=share",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        ("https://example.com/watch?v=1&si=kept", "https://example.com/watch?v=1&si=kept"),
    ],
)
def test_tracking_parameters_are_removed_and_the_rest_kept_in_order(link: str, expected: str) -> None:
    assert normalize_link(link) == expected


def test_learned_per_domain_parameters_can_be_dropped() -> None:
    learned = {"shop.example.com": {"sessionid", "variant_tracking*"}, "other.test": {"color"}}
    link = "https://shop.example.com/p/1?sessionid=9&color=red&variant_tracking_id=3"
    assert normalize_link(link, drop_params=learned) == "https://shop.example.com/p/1?color=red"
    # a key covers subdomains, not other domains
    assert (
        normalize_link("https://eu.shop.example.com/?sessionid=1", drop_params=learned)
        == "https://eu.shop.example.com/"
    )
    assert (
        normalize_link("https://example.com/?sessionid=1", drop_params=learned)
        == "https://example.com/?sessionid=1"
    )


def test_normalizing_twice_changes_nothing() -> None:
    link = "HTTPS://Example.com:443/a/../b%7e?utm_source=x&z=%e2%82%ac#f"
    once = normalize_link(link)
    assert normalize_link(once) == once == "https://example.com/b~?z=%E2%82%AC"


@pytest.mark.parametrize(
    ("link", "complaint"),
    [
        ("javascript:alert(1)", "only http and https"),
        ("ftp://example.com/file", "only http and https"),
        ("mailto:someone@example.com", "only http and https"),
        ("data:text/html,hi", "only http and https"),
        ("/relative/path", "only http and https"),
        ("", "the URL is empty"),
        ("https://", "no host"),
        ("https://exa mple.com/", "not a valid host"),
        ("https://example.com:0/", "not a valid port"),
        ("https://example.com/a\x00b", "control characters"),
        ("https://example.com/" + "a" * MAX_LINK_CHARS, "longer than 2048"),
    ],
)
def test_bad_links_are_invalid_input_on_the_link_field(link: str, complaint: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_link(link)
    assert caught.value.field == "link"
    assert complaint in caught.value.message


def test_a_link_that_grows_past_the_limit_when_encoded_is_refused() -> None:
    link = "https://example.com/" + "\u00e9" * 1000  # 1,020 characters, 6,020 once percent-encoded
    with pytest.raises(InvalidInput, match="once normalised"):
        normalize_link(link)


@pytest.mark.parametrize(
    ("link", "domain"),
    [
        ("https://www.Example.com/a", "example.com"),
        ("https://shop.example.co.uk/x", "shop.example.co.uk"),
        ("http://www2.example.com/", "www2.example.com"),
        ("https://www.b\u00fccher.de/", "xn--bcher-kva.de"),
        ("http://93.184.216.34:8080/", "93.184.216.34"),
    ],
)
def test_source_domain_is_the_host_without_www(link: str, domain: str) -> None:
    assert source_domain(link) == domain
