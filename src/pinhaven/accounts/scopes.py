"""API scopes (Pinterest v5 names) and the `Viewer`: who is asking, and with which scopes."""

from __future__ import annotations

from dataclasses import dataclass

ALL_SCOPES: tuple[str, ...] = (
    "ads:read",
    "ads:write",
    "boards:read",
    "boards:read_secret",
    "boards:write",
    "boards:write_secret",
    "catalogs:read",
    "catalogs:write",
    "pins:read",
    "pins:read_secret",
    "pins:write",
    "pins:write_secret",
    "user_accounts:read",
    "user_accounts:write",
)
DEFAULT_TOKEN_SCOPES: tuple[str, ...] = ALL_SCOPES


def parse_scopes(text: str | list[str] | tuple[str, ...]) -> frozenset[str]:
    """Scope names from a comma/space-separated string or list; unknown names raise ValueError."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    unknown = [s for s in items if s not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    return frozenset(items)


@dataclass(frozen=True)
class Viewer:
    """The caller: an anonymous visitor, a signed-in web session (all scopes) or a bearer token."""

    user_id: int | None
    scopes: frozenset[str]
    via: str = "anonymous"  # anonymous | session | token

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def sees_secret_boards(self) -> bool:
        return self.user_id is not None and "boards:read_secret" in self.scopes

    @property
    def sees_secret_pins(self) -> bool:
        return self.user_id is not None and "pins:read_secret" in self.scopes


ANONYMOUS = Viewer(user_id=None, scopes=frozenset({"boards:read", "pins:read", "user_accounts:read"}))


def session_viewer(user_id: int) -> Viewer:
    return Viewer(user_id=user_id, scopes=frozenset(ALL_SCOPES), via="session")
