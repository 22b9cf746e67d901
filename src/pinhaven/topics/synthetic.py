"""A labelled set of generated pins for the topic benchmark and tests: titles, board names, descriptions and
link domains as people write them, one family per top topic, written apart from the taxonomy's descriptions
(few of their words are reused on purpose). Plus the demo's own pins (`demo_pins`), labelled by theme.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["DEMO_MOTIF_TOPICS", "DEMO_THEME_TOPICS", "LabelledPin", "demo_pins", "generated_pins"]

# top topic → (titles, board names, description sentences, link hosts)
FAMILIES: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "home": (
        [
            "Scandi lounge with a grey sofa",
            "Boho shelf styling",
            "Small apartment makeover",
            "Cosy reading nook by the window",
            "Japandi bedroom inspiration",
            "Terracotta and cream living space",
        ],
        ["Dream house", "Apartment ideas", "Interior inspo"],
        ["Warm lighting and layered textiles.", "Love the rug and the plants here."],
        ["apartmenttherapy.com", "houzz.com"],
    ),
    "food": (
        [
            "Easy lemon chicken traybake",
            "Chocolate chip banana bread",
            "Creamy mushroom risotto",
            "Vegan lentil curry",
            "Best homemade pizza dough",
            "Garlic butter shrimp pasta",
        ],
        ["Recipes to try", "Dinner tonight", "Yummy"],
        ["Ready in 30 minutes.", "Serves four, freezes well."],
        ["allrecipes.com", "bbcgoodfood.com"],
    ),
    "drinks": (
        [
            "Aperol spritz for summer evenings",
            "Iced oat milk latte at home",
            "Classic margarita on the rocks",
            "Matcha tea ritual",
            "Espresso martini night",
        ],
        ["Cheers", "Drinks"],
        ["Shake with ice and serve.", "Perfect for a hot afternoon."],
        ["liquor.com", "bluebottlecoffee.com"],
    ),
    "travel": (
        [
            "48 hours in Lisbon",
            "Hidden gems of Kyoto",
            "Santorini sunset spots",
            "Packing list for two weeks in Asia",
            "Amalfi coast itinerary",
            "Iceland ring road trip",
        ],
        ["Wanderlust", "Bucket list trips", "Places to go"],
        ["Book the ferry early.", "Our favourite stop on the whole trip."],
        ["lonelyplanet.com", "cntraveler.com"],
    ),
    "fashion": (
        [
            "Fall capsule wardrobe",
            "How to style a trench coat",
            "White sneakers with everything",
            "Linen summer dress",
            "Minimal men's outfit grid",
            "Oversized blazer look",
        ],
        ["My style", "Outfits", "Wardrobe"],
        ["Sizes run small.", "Paired with gold hoops."],
        ["vogue.com", "zara.com"],
    ),
    "beauty": (
        [
            "Glowy no-makeup makeup",
            "Curtain bangs tutorial",
            "Five step night routine for dry skin",
            "Chrome nails for the holidays",
            "Red lip for beginners",
        ],
        ["Beauty", "Glow up"],
        ["Use a light hand with the highlighter.", "Holds all day."],
        ["sephora.com", "allure.com"],
    ),
    "art": (
        [
            "Abstract acrylic pour on canvas",
            "Ink sketch of a city street",
            "Watercolour botanical study",
            "Portrait in charcoal",
            "Gouache landscape in my sketchbook",
        ],
        ["Art I love", "Creative"],
        ["Painted over three evenings.", "Layered washes, then fine detail."],
        ["artstation.com", "saatchiart.com"],
    ),
    "design": (
        [
            "Brand identity for a coffee roaster",
            "Swiss style poster layout",
            "Serif font pairings",
            "Dashboard dark mode concept",
            "Hand lettering alphabet",
        ],
        ["Design inspo", "Branding"],
        ["Grid of twelve columns.", "Colour palette in the last slide."],
        ["behance.net", "dribbble.com"],
    ),
    "architecture": (
        [
            "Brutalist concrete museum",
            "Gothic cathedral facade",
            "Glass tower at dusk",
            "A-frame cabin in the woods",
            "Art deco apartment block",
        ],
        ["Buildings", "Architecture"],
        ["Designed by a small studio.", "The light through the atrium."],
        ["archdaily.com", "dezeen.com"],
    ),
    "garden": (
        [
            "Raised bed vegetable layout",
            "Growing tomatoes on a balcony",
            "Monstera care guide",
            "Cottage garden border with foxgloves",
            "How to propagate pothos",
        ],
        ["Garden plans", "Plant mom"],
        ["Water once a week.", "Full sun, rich soil."],
        ["gardenersworld.com", "thespruce.com"],
    ),
    "nature": (
        [
            "Misty pine forest at dawn",
            "Alpine lake reflection",
            "Northern lights over the fjord",
            "Waves crashing on black sand",
            "Autumn leaves in the valley",
        ],
        ["Nature", "Earth is beautiful"],
        ["Taken at sunrise.", "No filter needed."],
        ["nationalgeographic.com", "unsplash.com"],
    ),
    "outdoors": (
        [
            "Best day hikes in the Dolomites",
            "Ultralight backpacking gear list",
            "Wild camping by the loch",
            "Bouldering for beginners",
            "Trail to the summit ridge",
        ],
        ["Adventure", "Outdoors"],
        ["Eight miles round trip.", "Bring layers and a headlamp."],
        ["alltrails.com", "rei.com"],
    ),
    "animals": (
        [
            "Golden retriever puppy",
            "Cat sleeping in a sunbeam",
            "Red fox in the snow",
            "Corgi at the beach",
            "Owl on a branch",
        ],
        ["Animals", "Pets"],
        ["He is three months old.", "Spotted on our walk."],
        ["akc.org", "thedodo.com"],
    ),
    "diy": (
        [
            "Crochet granny square blanket",
            "Build a floating shelf",
            "Macrame plant hanger",
            "Sew a tote bag in an hour",
            "Paper flower wall",
        ],
        ["Crafts", "Make it"],
        ["Pattern and steps inside.", "You only need scrap wood."],
        ["instructables.com", "etsy.com"],
    ),
    "renovation": (
        [
            "Kitchen remodel before and after",
            "How to tile a backsplash",
            "Fixing a leaky faucet",
            "Sanding and refinishing hardwood floors",
            "Painting kitchen cabinets",
        ],
        ["House projects", "Reno"],
        ["Took two weekends.", "Rent the sander."],
        ["thisoldhouse.com", "homedepot.com"],
    ),
    "fitness": (
        [
            "20 minute HIIT workout",
            "Couch to 5k plan",
            "Morning yoga flow",
            "Leg day routine",
            "Pilates core workout",
        ],
        ["Workouts", "Get fit"],
        ["Three rounds, rest one minute.", "No equipment needed."],
        ["self.com", "menshealth.com"],
    ),
    "health": (
        [
            "Calming breathing exercises for anxiety",
            "Sleep hygiene checklist",
            "Journaling prompts for self care",
            "Digital detox weekend",
            "Gratitude practice",
        ],
        ["Wellness", "Self care"],
        ["Be gentle with yourself.", "Start with five minutes."],
        ["psychologytoday.com", "headspace.com"],
    ),
    "wedding": (
        [
            "Boho bridal bouquet",
            "Lace wedding gown",
            "Rustic barn reception",
            "Wedding cake with pressed flowers",
            "Bridesmaids in sage green",
        ],
        ["Wedding", "Our big day"],
        ["Ceremony at four.", "The bride wore her mother's veil."],
        ["theknot.com", "brides.com"],
    ),
    "events": (
        [
            "Christmas table setting",
            "DIY Halloween costume",
            "Unicorn birthday party",
            "Easter egg decorating",
            "New Year's Eve party ideas",
        ],
        ["Holidays", "Party"],
        ["Guests loved it.", "Print the templates."],
        ["partycity.com", "marthastewart.com"],
    ),
    "kids": (
        [
            "Sensory bin for toddlers",
            "Neutral nursery ideas",
            "Rainy day activities for kids",
            "Bedtime routine chart",
            "Baby's first birthday",
        ],
        ["Kids", "Mom life"],
        ["Ages two and up.", "Keeps them busy for an hour."],
        ["parents.com", "babycenter.com"],
    ),
    "education": (
        [
            "Cornell note taking method",
            "Periodic table cheat sheet",
            "Timeline of ancient Egypt",
            "Solar system for students",
            "Exam revision schedule",
        ],
        ["School", "Learning"],
        ["Free printable.", "For high school students."],
        ["khanacademy.org", "britannica.com"],
    ),
    "quotes": (
        [
            "You are stronger than you think",
            "Quote of the day",
            "Life is short, make it sweet",
            "Words to live by",
            "Monday motivation quote",
        ],
        ["Quotes", "Inspiration"],
        ["Share it with someone who needs it.", "Typed on a pastel background."],
        ["goodreads.com", "brainyquote.com"],
    ),
    "humor": (
        [
            "Funny cat meme",
            "When you open the fridge for the tenth time",
            "Relatable work from home memes",
            "Comic strip about Mondays",
            "Dad jokes that never fail",
        ],
        ["LOL", "Funny"],
        ["I laughed too hard.", "Tag a friend."],
        ["9gag.com", "reddit.com"],
    ),
    "entertainment": (
        [
            "Must read fantasy novels",
            "Movie night watchlist",
            "Vinyl record collection",
            "Best albums of the decade",
            "Cosy bookshelf reading list",
        ],
        ["Books and films", "Playlist"],
        ["Five stars from me.", "Streaming now."],
        ["goodreads.com", "imdb.com"],
    ),
    "photo": (
        [
            "Golden hour portrait tips",
            "35mm film photos",
            "Posing guide for couples",
            "Prime lens comparison",
            "Lightroom editing workflow",
        ],
        ["Photography", "Camera"],
        ["Shot at f/1.8.", "Natural light only."],
        ["petapixel.com", "dpreview.com"],
    ),
    "tech": (
        [
            "Minimal desk setup with ultrawide monitor",
            "Mechanical keyboard build",
            "Smart home gadgets worth it",
            "Learn Python in a month",
            "iPhone home screen layout",
        ],
        ["Tech", "Setup"],
        ["Cable management under the desk.", "Links in the description."],
        ["theverge.com", "github.com"],
    ),
    "vehicles": (
        [
            "1967 Mustang restoration",
            "Cafe racer motorcycle build",
            "Vintage VW camper van",
            "Porsche 911 at sunset",
            "Classic Vespa scooter",
        ],
        ["Cars", "Garage"],
        ["Original engine.", "Rebuilt over two years."],
        ["motortrend.com", "bikeexif.com"],
    ),
    "sports": (
        [
            "Football drills for beginners",
            "Surfing big waves in Hawaii",
            "Snowboarding in the Alps",
            "Basketball shooting tips",
            "Tennis serve technique",
        ],
        ["Sports", "Game day"],
        ["Practice every day.", "Season starts next week."],
        ["espn.com", "surfline.com"],
    ),
    "finance": (
        [
            "50/30/20 budget printable",
            "How to save for a house deposit",
            "Index fund investing for beginners",
            "No spend month challenge",
            "Pay off debt fast",
        ],
        ["Money", "Finance goals"],
        ["Track every expense.", "Start small and automate."],
        ["nerdwallet.com", "investopedia.com"],
    ),
    "work": (
        [
            "Weekly planner spread",
            "Bullet journal layout ideas",
            "Time blocking for productivity",
            "Etsy shop marketing tips",
            "Home office routine",
        ],
        ["Productivity", "Business"],
        ["Printable pages included.", "Batch similar tasks."],
        ["notion.so", "shopify.com"],
    ),
    "tattoos": (
        [
            "Fine line floral tattoo",
            "Minimal wave tattoo on the wrist",
            "Traditional sleeve tattoo design",
            "Tiny heart tattoo",
            "Script tattoo on collarbone",
        ],
        ["Ink", "Tattoo ideas"],
        ["Healed after two weeks.", "Artist in Berlin."],
        ["tattoodo.com", "inkedmag.com"],
    ),
}

# demo motifs whose pins belong elsewhere than their theme's topic: the demo's "outdoors" theme paints
# forests (nature) as well as camping (outdoors)
DEMO_MOTIF_TOPICS = {"misty forest": "nature", "autumn woods": "nature"}

# demo theme → the top topic its pins belong to
DEMO_THEME_TOPICS = {
    "food": "food", "gardens": "garden", "travel": "travel", "outdoors": "outdoors", "interiors": "home",
    "fashion": "fashion", "art": "art", "architecture": "architecture",
}  # fmt: skip


@dataclass(frozen=True)
class LabelledPin:
    title: str
    description: str
    board_name: str
    domain: str
    topic: str  # the top topic it belongs to


def generated_pins(per_topic: int, *, seed: int = 7, with_board: bool = True) -> list[LabelledPin]:
    """`per_topic` pins for every family; `with_board` False leaves the board name out (harder)."""
    rng = random.Random(seed)
    out = []
    for topic, (titles, boards, sentences, hosts) in FAMILIES.items():
        for _ in range(per_topic):
            title = rng.choice(titles)
            description = rng.choice(sentences) if rng.random() < 0.6 else ""
            out.append(
                LabelledPin(
                    title=title,
                    description=description,
                    board_name=rng.choice(boards) if with_board else "",
                    domain=rng.choice(hosts) if rng.random() < 0.5 else "",
                    topic=topic,
                )
            )
    return out


def demo_pins(count: int, *, seed: int = 11) -> list[LabelledPin]:
    """Pins written the way the demo writes them (title, description, board of that theme, link host)."""
    from urllib.parse import urlsplit

    from pinhaven.demo.images import MOTIFS
    from pinhaven.demo.plan import BOARDS
    from pinhaven.demo.texts import pin_text

    rng = random.Random(seed)
    themes = sorted(DEMO_THEME_TOPICS)
    out = []
    for i in range(count):
        theme = themes[i % len(themes)]
        motif = rng.choice(MOTIFS[theme])
        text = pin_text(rng, theme, motif, "soft")
        boards = [b.name for b in BOARDS if b.theme == theme] or [""]
        out.append(
            LabelledPin(
                title=text.title,
                description=text.description,
                board_name=rng.choice(boards),
                domain=urlsplit(text.link).hostname or "" if text.link else "",
                topic=DEMO_MOTIF_TOPICS.get(motif, DEMO_THEME_TOPICS[theme]),
            )
        )
    return out
