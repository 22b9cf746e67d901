"""Words for the demo's pins: titles, descriptions, alt text and links that match what each image shows."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

__all__ = ["PinText", "pin_text"]

# theme → motif → title templates; `{detail}` is the palette/surface/sky name the painter reports.
TITLES: dict[str, dict[str, list[str]]] = {
    "food": {
        "soup": [
            "Roasted tomato soup",
            "Carrot ginger soup",
            "Golden lentil soup with herbs",
            "Five-ingredient weeknight soup",
            "Pumpkin soup with crispy croutons",
            "Creamy roasted pepper soup",
        ],
        "salad": [
            "Summer garden salad",
            "Crunchy green salad with feta",
            "Tomato and cucumber salad",
            "Lemony herb salad",
            "Big weeknight salad bowl",
            "Chopped salad for lunch all week",
        ],
        "pasta": [
            "15-minute tomato spaghetti",
            "Spaghetti al pomodoro",
            "Basil pasta for busy nights",
            "One-pot tomato pasta",
            "Classic Sunday spaghetti",
            "Cherry tomato pasta",
        ],
        "breakfast": [
            "Eggs on toast with avocado",
            "Slow Sunday breakfast",
            "Avocado toast and sunny eggs",
            "The perfect fried egg",
            "Weekend brunch plate",
        ],
        "smoothie bowl": [
            "Berry smoothie bowl",
            "Banana and blueberry breakfast bowl",
            "Pink smoothie bowl",
            "5-minute smoothie bowl",
            "Granola breakfast bowl",
        ],
        "pizza": [
            "Homemade margherita pizza",
            "Crispy sourdough pizza",
            "Friday night pizza",
            "Pizza dough you can make tonight",
            "Basil and mozzarella pizza",
        ],
        "berry tart": [
            "Mixed berry tart",
            "Summer berry custard tart",
            "No-fuss berry tart",
            "Lemon curd tart with berries",
            "Bakery-style fruit tart",
        ],
        "cookies": [
            "Brown butter chocolate chip cookies",
            "Chewy chocolate chip cookies",
            "Small-batch cookies",
            "Salted chocolate chunk cookies",
            "The only cookie recipe you need",
        ],
    },
    "gardens": {
        "flower bed": [
            "{Detail} cottage garden border",
            "A {detail} flower bed for early summer",
            "Planting plan: {detail} blooms",
            "Low-maintenance {detail} perennials",
            "Cut-flower patch in {detail}",
        ],
        "houseplant": [
            "Easy houseplants for a {detail} wall",
            "Big leafy plant corner",
            "Houseplant care, simplified",
            "How to repot a floor plant",
            "Plant styling against {detail} walls",
        ],
        "lavender field": [
            "Lavender rows in late June",
            "Growing lavender in rows",
            "A lavender hedge for bees",
            "Provence-style lavender planting",
        ],
    },
    "travel": {
        "beach": [
            "Sunset beaches worth the trip",
            "{Detail} over the bay",
            "Slow days on the coast",
            "Hidden coves for a long weekend",
            "Palm-lined beaches at {detail}",
        ],
        "mountain lake": [
            "Alpine lake mornings",
            "Mirror lakes and quiet peaks",
            "A week among the lakes",
            "Best lakeside hikes",
        ],
        "desert": [
            "Desert dunes at {detail}",
            "Sleeping under desert stars",
            "A road trip through the dunes",
            "Golden sands, long shadows",
        ],
        "balloons": [
            "Hot-air balloons at {detail}",
            "Sunrise balloon flight",
            "Balloon ride over the valley",
            "Where to see hot-air balloons",
        ],
        "sailing": [
            "Island hopping by sailboat",
            "Sailing the quiet coast",
            "A week on the water",
            "Learn to sail this summer",
        ],
    },
    "outdoors": {
        "misty forest": [
            "Foggy forest mornings",
            "Misty pines trail",
            "Forest bathing for beginners",
            "The quietest woods",
        ],
        "night camp": [
            "Camping under the stars",
            "Campfire nights",
            "Stargazing camp checklist",
            "Tent with a view",
        ],
        "autumn woods": [
            "Autumn walk in the woods",
            "Best fall foliage hikes",
            "Golden leaves season",
            "A crisp autumn trail",
        ],
    },
    "interiors": {
        "living room": [
            "{Detail} living room ideas",
            "Cosy living room with a low sofa",
            "Small living room, big comfort",
            "A calm {detail} lounge",
        ],
        "bedroom": [
            "{Detail} bedroom refresh",
            "Serene bedroom with linen bedding",
            "Bedside lamps that glow",
            "Hotel-style bedroom at home",
        ],
        "kitchen": [
            "{Detail} kitchen with open shelves",
            "Open shelving done right",
            "Kitchen island with stools",
            "Warm minimal kitchen",
        ],
        "reading nook": [
            "Reading nook by the window",
            "Armchair corner for slow afternoons",
            "Make a reading nook in any room",
            "{Detail} reading corner",
        ],
    },
    "fashion": {
        "dress": [
            "{Detail} midi dress",
            "The {detail} dress of the summer",
            "{Detail} wrap dress",
            "Twirl-worthy {detail} dress",
        ],
        "coat": [
            "{Detail} wool coat",
            "Long {detail} coat for autumn",
            "Capsule wardrobe: the {detail} coat",
        ],
        "outfit": [
            "Weekend outfit with a {detail} tee",
            "Easy {detail} tee and trousers",
            "Capsule outfit formula",
            "What to pack for a city weekend",
        ],
        "bag": ["{Detail} leather tote", "Everyday {detail} handbag", "The structured {detail} bag"],
    },
    "art": {
        "mondrian": [
            "Primary colour grid print",
            "Mondrian-inspired wall art",
            "Bold geometric grid painting",
            "DIY Mondrian canvas",
        ],
        "kandinsky": [
            "Circles and lines abstract",
            "Kandinsky-inspired composition",
            "Playful geometric abstract",
            "Concentric circles study",
        ],
        "boho arches": [
            "Boho rainbow print",
            "Mid-century arches wall art",
            "Earthy rainbow nursery print",
            "Terracotta arches printable",
        ],
        "brush strokes": [
            "Expressive brush stroke painting",
            "Abstract waves in acrylic",
            "Gestural painting practice",
            "Big brush energy",
        ],
        "colour field": [
            "Colour field painting study",
            "Rothko-inspired colour blocks",
            "Soft-edged colour field",
            "Moody colour block canvas",
        ],
        "cut-outs": [
            "Matisse-style paper cut-outs",
            "Playful cut-out shapes",
            "Paper collage with bold shapes",
            "Cut-out seaweed print",
        ],
    },
    "architecture": {
        "canal houses": [
            "Colourful canal houses",
            "Gabled houses along the water",
            "Waterfront facades in pastel",
            "Painted houses by the canal",
        ],
        "arcade": [
            "Endless arches",
            "Terracotta arcade to the courtyard",
            "Arches and light",
            "Archway perspective",
        ],
        "modernist": [
            "Modernist facade grid",
            "Balconies and rhythm",
            "Mid-century apartment block",
            "Concrete and glass, repeated",
        ],
        "front door": [
            "Arched front door",
            "Front door colour ideas",
            "Curb appeal: painted door and planters",
            "Doors of the old town",
        ],
    },
}

SENTENCES: dict[str, list[str]] = {
    "food": [
        "Ready in about 30 minutes.",
        "Serves four, and leftovers keep for three days.",
        "Make a double batch and freeze half.",
        "Simple ingredients, big flavour.",
        "A family favourite on busy weeknights.",
        "Best with good bread and a green salad.",
    ],
    "gardens": [
        "Plant in spring for colour all summer.",
        "Happy in part shade.",
        "Bees and butterflies love it.",
        "Water deeply once a week rather than a little every day.",
        "Grows well in containers too.",
    ],
    "travel": [
        "Go in the shoulder season for fewer crowds.",
        "Bring a light jacket for the evenings.",
        "Three days is enough, a week is better.",
        "Best at golden hour.",
        "Add it to the someday list.",
    ],
    "outdoors": [
        "An easy loop of about 8 km.",
        "Pack layers: it gets cold after dark.",
        "Leave no trace.",
        "Start early for the best light.",
        "Dog-friendly trail.",
    ],
    "interiors": [
        "Layer textures: linen, wool and wood.",
        "Warm bulbs make all the difference.",
        "Muted walls let the furniture speak.",
        "Rented? Everything here is renter-friendly.",
        "A rug anchors the room.",
    ],
    "fashion": [
        "Pairs with everything in a capsule wardrobe.",
        "Dress it up or down.",
        "Natural fabrics, made to last.",
        "True to size.",
        "Spring to autumn with the right layers.",
    ],
    "art": [
        "Printable at home in any size.",
        "Acrylic on canvas.",
        "Looks great above a sofa.",
        "A fun weekend art project.",
        "Inspired by mid-century modernism.",
    ],
    "architecture": [
        "Spotted on a walk through the old town.",
        "The rhythm of repeated windows.",
        "Colour makes a street.",
        "Look up: the details are above eye level.",
        "Built in the 1960s.",
    ],
}

ALT: dict[str, str] = {
    "food": "Top-down illustration of {motif} on a {detail} table",
    "gardens": "Illustration of a {motif} in {detail} tones",
    "travel": "Travel poster of a {motif} scene at {detail}",
    "outdoors": "Illustration of a {motif}, {detail}",
    "interiors": "Illustration of a {detail} {motif} in one-point perspective",
    "fashion": "Illustration of a {detail} {motif} on a pastel background",
    "art": "Abstract {detail} artwork in the {motif} style",
    "architecture": "Illustration of {motif} architecture",
}

LINK_HOSTS: dict[str, list[tuple[str, str]]] = {
    "food": [("recipes.example.com", "recipe"), ("www.example.org", "food"), ("kitchen.example.net", "cook")],
    "gardens": [("garden.example.com", "plants"), ("www.example.org", "gardening")],
    "travel": [("travel.example.com", "guides"), ("www.example.net", "trips")],
    "outdoors": [("trails.example.com", "hikes"), ("www.example.org", "outdoors")],
    "interiors": [("home.example.com", "rooms"), ("www.example.net", "interiors")],
    "fashion": [("shop.example.com", "products"), ("style.example.org", "looks")],
    "art": [("art.example.com", "prints"), ("www.example.org", "studio")],
    "architecture": [("www.example.com", "architecture"), ("cities.example.net", "streets")],
}


@dataclass(frozen=True)
class PinText:
    title: str
    description: str
    alt_text: str
    link: str | None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def pin_text(rng: random.Random, theme: str, motif: str, detail: str) -> PinText:
    """Title, description, alt text and (usually) a link for a pin showing `motif` of `theme`."""
    template = rng.choice(TITLES[theme][motif])
    title = template.replace("{Detail}", detail[:1].upper() + detail[1:]).replace("{detail}", detail)
    sentences = rng.sample(SENTENCES[theme], k=2)
    description = f"{title}. {' '.join(sentences)}"
    alt = ALT[theme].format(motif=motif, detail=detail)
    link = None
    if rng.random() < 0.85:  # some pins are plain uploads with no source page
        host, section = rng.choice(LINK_HOSTS[theme])
        link = f"https://{host}/{section}/{_slug(title)}"
    return PinText(title=title[:100], description=description[:800], alt_text=alt[:500], link=link)
