"""Bearer token → `Viewer`, cached so a busy client costs no token query per request.

The entries live in the instance's cache (`pinhaven.cache`), versioned by the `tokens` generation:
  * a revoke drops the token's entry at once and bumps `tokens` after its transaction commits, which kills
    every entry cached before it, on every process that shares the generation;
  * a lookup takes the generation *before* reading the token, so a read that raced with a revocation is
    cached under the old generation and never served.
In process (the default) the generation is a stamp file in the data dir, checked with one `stat` per lookup:
every process serving the instance from this host sees a revocation at once, and the 1-second TTL bounds
what is left (processes that share the database but not the data dir). With Redis (`cache_url`) the
generation is shared by every host and read in the same round trip as the entry, so a revocation is seen by
the next request anywhere; entries then live longer (`SHARED_TTL_SECONDS`) because nothing relies on expiry.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pinhaven.accounts.scopes import Viewer
from pinhaven.cache import Cache, Generation, cache_of

if TYPE_CHECKING:
    from pinhaven.context import AppContext

TTL_SECONDS = 1.0
SHARED_TTL_SECONDS = 10.0  # revocations bump the generation; this bounds a bump lost in an outage
GENERATION = "tokens"
SERVICE_KEY = "accounts.tokens"


class TokenCache:
    """Token hash → Viewer in `cache`, invalidated by the `tokens` generation."""

    def __init__(self, cache: Cache, ttl: float | None = None) -> None:
        self.cache = cache
        self.ttl = ttl if ttl is not None else (SHARED_TTL_SECONDS if cache.shared else TTL_SECONDS)

    @staticmethod
    def _key(token_hash: str) -> str:
        return f"token:{token_hash}"

    def stamp(self) -> Generation:
        """The current generation; take it *before* reading a token so a racing revoke is noticed."""
        return self.cache.generation(GENERATION)

    def get(self, token_hash: str) -> Viewer | None:
        value, _ = self.cache.get_versioned(self._key(token_hash), GENERATION)
        if value is None:
            return None
        user_id, scopes = json.loads(value)
        return Viewer(user_id=user_id, scopes=frozenset(scopes), via="token")

    def put(self, token_hash: str, viewer: Viewer, stamp: Generation) -> None:
        """Remember a viewer read from the database after `stamp` was taken."""
        value = json.dumps([viewer.user_id, sorted(viewer.scopes)]).encode()
        self.cache.set_versioned(self._key(token_hash), stamp, value, self.ttl)

    def forget(self, token_hash: str) -> None:
        self.cache.delete(self._key(token_hash))

    def bump_generation(self) -> None:
        """Invalidate every cached token (this process's at once, the others' at their next lookup)."""
        self.cache.bump(GENERATION)


def tokens_of(ctx: AppContext) -> TokenCache:
    tokens: TokenCache | None = ctx.services.get(SERVICE_KEY)
    if tokens is None:
        tokens = ctx.services.setdefault(SERVICE_KEY, TokenCache(cache_of(ctx)))
    return tokens
