"""Built-in word lists for synthetic people and places, and the typos practitioners make.

Names are common English given and family names combined at random, so no list entry is a
real person; streets are invented; postcodes have the real shape of Stockton-on-Tees districts
(TS18, TS19, TS20) but are drawn at random.
"""

from __future__ import annotations

import random
from typing import Final

GIVEN_NAMES: Final = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
    "Grace", "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte",
    "Evelyn", "Sienna", "Daisy", "Phoebe", "Harper", "Ruby", "Matilda", "Millie", "Sofia", "Layla",
    "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry",
    "Theodore", "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas", "Finley", "Arlo",
    "William", "Lucas", "Roman", "Tommy", "Isaac", "Teddy", "Alexander", "Luca", "Edward", "James",
    "Joshua", "Albie", "Elijah", "Max", "Mohammed", "Reuben", "Mason", "Sebastian", "Rory", "Jude",
)  # fmt: skip

FAMILY_NAMES: Final = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell", "Rose", "Davis",
    "Rodriguez", "Cox", "Alexander", "Morgan", "Moore", "Mills", "King", "Turner", "Hill",
    "Parker", "Harris", "Lee", "Ward", "Cooper", "Young", "Allen", "Baker", "Bell", "Carter",
    "Collins", "Cook", "Edwards", "Fletcher", "Foster", "Gray", "Hughes", "Hunt", "Kelly",
    "Marshall", "Morris", "Murray", "Owen", "Palmer", "Pearson", "Price", "Reid", "Richardson",
    "Scott", "Shaw", "Simpson", "Stevens", "Stewart", "Watson", "Webb", "Wells", "Atkinson",
)  # fmt: skip

ADULT_GIVEN_NAMES: Final = (
    "Sarah", "Emma", "Laura", "Gemma", "Rebecca", "Kirsty", "Hayley", "Nicola", "Danielle",
    "Michael", "Daniel", "Craig", "Lee", "Paul", "Mark", "Stephen", "Ryan", "Jamie", "Wayne",
)  # fmt: skip

# Invented street names (none is meant to exist).
_STREET_STEMS: Final = (
    "Alder", "Beckfield", "Bramble", "Carrow", "Dunmore", "Elmwood", "Fernlea", "Gorsebank",
    "Hazelmere", "Ivyholme", "Juniper", "Kestrel", "Larchfield", "Meadowsweet", "Netherby",
    "Oakhurst", "Pinewell", "Quarryside", "Rowanlea", "Saltburnside", "Thistlecroft", "Underhill",
    "Violet", "Willowbeck", "Yarrowdale",
)  # fmt: skip
_STREET_KINDS: Final = ("Street", "Road", "Close", "Avenue", "Grove", "Crescent", "Way", "Terrace")

# Postcode districts and the town each sits in.
DISTRICTS: Final = (("TS18", "Stockton-on-Tees"), ("TS19", "Stockton-on-Tees"), ("TS20", "Norton"))
# Inward-code unit letters (the Royal Mail never uses C, I, K, M, O or V there).
_UNIT_LETTERS: Final = "ABDEFGHJLNPQRSTUWXYZ"


def street(rng: random.Random) -> str:
    """An invented street name."""
    return f"{rng.choice(_STREET_STEMS)} {rng.choice(_STREET_KINDS)}"


def postcode(rng: random.Random) -> tuple[str, str]:
    """A (postcode, town) pair in a real-looking shape, e.g. ('TS19 7HQ', 'Stockton-on-Tees')."""
    district, town = rng.choice(DISTRICTS)
    unit = rng.choice(_UNIT_LETTERS) + rng.choice(_UNIT_LETTERS)
    return f"{district} {rng.randint(1, 9)}{unit}", town


def typo(rng: random.Random, name: str) -> str:
    """The name as a hurried practitioner might type it: a doubled, dropped or swapped letter."""
    inner = rng.randrange(1, len(name) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # doubled letter: "Olivia" -> "Olivvia"
        return name[:inner] + name[inner] + name[inner:]
    if kind == 1:  # dropped letter: "Olivia" -> "Olvia"
        return name[:inner] + name[inner + 1 :]
    # swapped neighbours, which keeps the length: "Olivia" -> "Oilvia"
    swapped = name[:inner] + name[inner + 1] + name[inner] + name[inner + 2 :]
    return swapped if swapped != name else name[:inner] + name[inner] + name[inner:]
