"""What the demo creates, decided before anything is written: people, boards, and a timeline of pins.

The plan is a pure function of (pin count, seed), so a run that was interrupted can be resumed: the pins
already in the database are a prefix of the same timeline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pinhaven.demo.images import MOTIFS

__all__ = [
    "BOARDS",
    "BOARD_FOLLOWS",
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "USERS",
    "DemoBoard",
    "DemoUser",
    "PlannedPin",
    "build_timeline",
    "user_follows",
]

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "pinhaven-demo"  # the README tells newcomers to sign in with it
DEMO_EMAIL = "demo@pinhaven.local"
HISTORY_DAYS = 60
SAVE_SHARE = 0.18  # fraction of pins that are saves (repins) of someone else's pin


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    about: str
    website: str
    save_weight: float  # how often this person saves other people's pins
    avatar: str  # the art style of their profile picture
    # Topic keys (discovery.topics) picked at sign-up: without them, signing in lands on the topic
    # picker every time instead of a feed.
    interests: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return DEMO_EMAIL if self.username == DEMO_USERNAME else f"{self.username}@pinhaven.local"


@dataclass(frozen=True)
class DemoBoard:
    owner: str
    name: str
    theme: str
    description: str
    privacy: str = "PUBLIC"
    # section name → the motifs whose pins go there (pins with other motifs stay outside sections)
    sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    weight: float = 1.0  # share of original pins
    motifs: tuple[str, ...] = ()  # what its pins show ("Dream kitchens" holds kitchens); empty: anything

    @property
    def allowed(self) -> tuple[str, ...]:
        """The motifs its pins may show."""
        return self.motifs or MOTIFS[self.theme]


USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "demo",
        "Demo Pinner",
        "Collecting ideas for a slower, cosier life. This is the demo account: look around!",
        "https://www.example.com/demo",
        3.0,
        "boho arches",
        ("home", "food", "travel", "art", "garden"),
    ),
    DemoUser(
        "maya_greens",
        "Maya Okafor",
        "Gardener, weekend baker, terrible at keeping basil alive.",
        "https://garden.example.com/maya",
        1.0,
        "cut-outs",
        ("garden", "food", "home"),
    ),
    DemoUser(
        "leo_builds",
        "Leo Marchetti",
        "Architect. I stop in the middle of the pavement to look at doors.",
        "https://www.example.org/leo",
        1.0,
        "mondrian",
        ("home", "travel", "nature"),
    ),
    DemoUser(
        "ana_studio",
        "Ana Lindqvist",
        "Painter and textile lover. Colour first, questions later.",
        "https://art.example.com/ana",
        1.0,
        "kandinsky",
        ("art", "fashion", "diy"),
    ),
    DemoUser(
        "sam_wanders",
        "Sam Reyes",
        "Slow travel, long trails, cold coffee at the campsite.",
        "https://travel.example.com/sam",
        1.0,
        "brush strokes",
        ("travel", "nature", "photo"),
    ),
)

BOARDS: tuple[DemoBoard, ...] = (
    DemoBoard(
        "demo",
        "Cosy home",
        "interiors",
        "Rooms that feel like a deep breath: warm light, soft textiles, muted colour.",
        sections={
            "Living room": ("living room",),
            "Bedroom": ("bedroom",),
            "Kitchen": ("kitchen",),
            "Reading nooks": ("reading nook",),
        },
        weight=1.4,
    ),
    DemoBoard(
        "demo",
        "Weeknight dinners",
        "food",
        "Fast, cheerful food for tired evenings.",
        weight=1.2,
        motifs=("soup", "salad", "pasta", "pizza"),
    ),
    DemoBoard(
        "demo",
        "Someday trips",
        "travel",
        "Places to go when the calendar allows.",
        sections={
            "Coast": ("beach", "sailing"),
            "Mountains": ("mountain lake",),
            "Desert": ("desert", "balloons"),
        },
    ),
    DemoBoard(
        "demo",
        "Gift ideas",
        "fashion",
        "Shh: presents for the people I love. Only I can see this board.",
        privacy="SECRET",
        weight=0.5,
        motifs=("dress", "coat", "bag"),
    ),
    DemoBoard("demo", "Art for the hallway", "art", "Prints to frame for the long white wall.", weight=0.6),
    DemoBoard(
        "maya_greens",
        "Garden corner",
        "gardens",
        "Borders, pots and everything that flowers.",
        sections={"Flowers": ("flower bed", "lavender field"), "Houseplants": ("houseplant",)},
        weight=1.4,
    ),
    DemoBoard(
        "maya_greens",
        "Brunch and bakes",
        "food",
        "Slow weekend mornings and things from the oven.",
        motifs=("breakfast", "smoothie bowl", "berry tart", "cookies", "pizza"),
    ),
    DemoBoard(
        "leo_builds",
        "Facades and arches",
        "architecture",
        "Windows, doors, arches and the rhythm of streets.",
        weight=1.3,
    ),
    DemoBoard(
        "leo_builds",
        "Dream kitchens",
        "interiors",
        "Kitchens I would cook in every night.",
        weight=0.7,
        motifs=("kitchen",),
    ),
    DemoBoard(
        "leo_builds",
        "Into the woods",
        "outdoors",
        "Forests in every season.",
        motifs=("misty forest", "autumn woods"),
    ),
    DemoBoard(
        "ana_studio",
        "Studio inspiration",
        "art",
        "Shapes and colours to steal from.",
        sections={
            "Geometric": ("mondrian", "kandinsky", "boho arches"),
            "Painterly": ("brush strokes", "colour field", "cut-outs"),
        },
        weight=1.3,
    ),
    DemoBoard(
        "ana_studio",
        "Spring wardrobe",
        "fashion",
        "A small wardrobe that works hard.",
        sections={"Dresses": ("dress",), "Outerwear": ("coat",), "Accessories": ("bag",)},
    ),
    DemoBoard(
        "sam_wanders", "Wander list", "travel", "Coasts, deserts and lakes I keep coming back to.", weight=1.2
    ),
    DemoBoard(
        "sam_wanders",
        "Camp and trail",
        "outdoors",
        "Nights under canvas, mornings on the trail.",
        motifs=("night camp", "misty forest"),
    ),
)

# (follower, board owner, board name): people also follow single boards.
BOARD_FOLLOWS: tuple[tuple[str, str, str], ...] = (
    ("demo", "maya_greens", "Garden corner"),
    ("demo", "ana_studio", "Studio inspiration"),
    ("maya_greens", "demo", "Cosy home"),
    ("sam_wanders", "leo_builds", "Facades and arches"),
    ("ana_studio", "demo", "Weeknight dinners"),
    ("leo_builds", "sam_wanders", "Wander list"),
)


def user_follows(seed: int) -> list[tuple[str, str]]:
    """(follower, followee) pairs: everyone and `demo` follow each other; the rest mostly follow each other."""
    rng = random.Random(f"pinhaven-demo-follows:{seed}")
    pairs: list[tuple[str, str]] = []
    for a in USERS:
        for b in USERS:
            if a is b:
                continue
            if DEMO_USERNAME in (a.username, b.username) or rng.random() < 0.7:
                pairs.append((a.username, b.username))
    return pairs


@dataclass(frozen=True)
class PlannedPin:
    """One step of the timeline: an original pin (rendered image) or a save of an earlier original."""

    board: int  # index into BOARDS
    seconds_ago: float  # when it happened, relative to the run
    motif: str  # what the picture shows (a save shows its source's)
    original: int | None = None  # ordinal of the original, which seeds its image and text
    parent: int | None = None  # for a save: the position in the timeline of the pin it saves


def build_timeline(pins: int, seed: int) -> list[PlannedPin]:
    """`pins` events, oldest first: originals spread over the last 60 days, saves after their source."""
    if pins < 0:
        raise ValueError("the pin count cannot be negative")
    rng = random.Random(f"pinhaven-demo-plan:{seed}:{pins}")
    span = HISTORY_DAYS * 86400.0
    saves = round(pins * SAVE_SHARE) if pins >= 10 else 0
    originals = pins - saves
    boards = list(range(len(BOARDS)))
    weights = [b.weight for b in BOARDS]
    chosen = boards[:originals] + rng.choices(boards, weights=weights, k=max(0, originals - len(boards)))
    times = sorted((rng.uniform(span * 0.02, span) for _ in chosen), reverse=True)
    events = [
        PlannedPin(board=b, seconds_ago=t, motif=rng.choice(BOARDS[b].allowed), original=i)
        for i, (b, t) in enumerate(zip(chosen, times, strict=True))
    ]

    sources_for = {
        target: [k for k, e in enumerate(events) if _saveable(e, target)] for target in range(len(BOARDS))
    }
    targets = {
        u.username: [t for t, b in enumerate(BOARDS) if b.owner == u.username and sources_for[t]]
        for u in USERS
    }
    savers = [u for u in USERS if targets[u.username]]
    for _ in range(saves if savers else 0):
        saver = rng.choices(savers, weights=[u.save_weight for u in savers])[0]
        target = rng.choice(targets[saver.username])
        source_index = rng.choice(sources_for[target])
        source = events[source_index]
        later = rng.uniform(0.02, 0.9) * source.seconds_ago  # a while after the source was pinned
        events.append(
            PlannedPin(
                board=target,
                seconds_ago=source.seconds_ago - later,
                motif=source.motif,
                parent=source_index,
            )
        )

    # Oldest first, and strictly one second apart at least, so ids (back-dated snowflakes) keep this order.
    order = sorted(range(len(events)), key=lambda k: -events[k].seconds_ago)
    position = {old: new for new, old in enumerate(order)}
    timeline: list[PlannedPin] = []
    previous = span + 1
    for old in order:
        event = events[old]
        ago = min(event.seconds_ago, previous - 1.0)
        previous = ago
        parent = position[event.parent] if event.parent is not None else None
        timeline.append(
            PlannedPin(
                board=event.board, seconds_ago=ago, motif=event.motif, original=event.original, parent=parent
            )
        )
    return timeline


def _saveable(pin: PlannedPin, target_board: int) -> bool:
    """People save public original pins of others that fit the board (same theme, a motif it holds)."""
    source, target = BOARDS[pin.board], BOARDS[target_board]
    return (
        pin.original is not None
        and source.privacy == "PUBLIC"
        and source.owner != target.owner
        and source.theme == target.theme
        and pin.motif in target.allowed
    )
