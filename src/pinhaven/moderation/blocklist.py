"""Link domains known for spam (a domain also blocks its subdomains), shipped with Pinhaven.

Illustrative entries on the reserved `.example` TLD: replace or extend them with your instance's own. The
learned reputation (signals.py) adds domains as moderators act; this list is the prior.
"""

from __future__ import annotations

DOMAINS: frozenset[str] = frozenset(
    {
        "cheap-pills-online.example",
        "replica-watches-outlet.example",
        "casino-bonus-now.example",
        "crypto-doubler.example",
        "free-gift-cards.example",
        "weight-loss-miracle.example",
        "bit.ly.spam.example",
        "followers-for-sale.example",
        "loan-approved-today.example",
        "essay-writing-cheap.example",
    }
)
