"""Words, names and sentences for generated data, drawn so that full-text search meets
realistic word frequencies: a few very common words, a long tail of rare ones (Zipf's law).

Everything here is deterministic for a given seed.
"""

import random
from collections.abc import Sequence

from django.utils.text import slugify


def _words(text: str) -> list[str]:
    return text.split()

# Ranked roughly by how often incident write-ups use them: the head of the distribution.
DOMAIN_WORDS = _words("""
post tweet account brand campaign hashtag apology customers followers deleted screenshot
backlash video team social media agency launch comment reply statement viral response
intern scheduled image caption joke tragedy anniversary hacked password crisis outrage
users thread story influencer promotion giveaway contest ad advert creative slogan meme
trend trending audience fans critics journalists press coverage headline article review
complaint refund delay outage service support chatbot bot automation queue calendar
approval manager executive ceo spokesperson employee staff personal phone app login
breach phishing impersonation fake parody verified badge handle profile bio link
livestream stream broadcast clip reel story poll quiz survey emoji gif filter template
insensitive offensive tone deaf cultural religious holiday memorial disaster storm fire
flood earthquake shooting election vote political protest boycott petition lawsuit
regulator fine ban suspension removal takedown moderation algorithm feed mention tag
retweet share like dislike ratio pile mockery satire screenshot archive copy repost
correction clarification retraction update edit typo error glitch bug mistake slip
misfire blunder gaffe fail fiasco disaster scandal controversy uproar storm firestorm
weekend night morning holiday friday monday season launch sale discount offer price
product recall safety warning label packaging design logo rebrand mascot jingle song
music rights copyright trademark licence photo stock picture artwork illustration
translation language slang acronym pun wordplay sarcasm irony humour satire prank
""")

# Ordinary English: stop words disappear from the search vector, the rest are common lemmas.
COMMON_WORDS = _words("""
the a of to and in on for with after before during about as by from at this that their
its was were is are been had has have it they them our we who which when while then
again later quickly slowly publicly privately finally soon never often once twice
said says asked told wrote posted shared replied answered noticed spotted flagged
removed restored changed fixed paused stopped started planned approved reviewed
many several few some most every other same different new old first last next early
late local national global online offline internal external official unofficial
company business brand store shop restaurant airline bank hospital school university
city council government ministry charity club league festival museum gallery theatre
people customer client partner supplier viewer reader listener community group
hours days weeks months minutes year week day hour time moment
""")

# The short words that carry no meaning of their own (English stop words).
GLUE_WORDS = frozenset(COMMON_WORDS[:COMMON_WORDS.index("again")])

SYLLABLES = _words("""
ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge gi go gu ha he hi ho hu
ja jo ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri
ro ru sa se si so su ta te ti to tu va ve vi vo vu wa we wi wo za ze zi zo zu bra bre bri
dra dre dri fra fre gra gre kra kre pra pre tra tre tri stra stre sta ste sti sto
""")

ORG_FAMOUS = [
    "Northwind Airlines", "Contoso Bank", "Fabrikam Foods", "Globex Telecom", "Initech Software",
    "Umbrella Pharma", "Stark Motors", "Wayne Retail", "Acme Supplies", "Hooli Search",
    "Soylent Drinks", "Tyrell Robotics", "Cyberdyne Systems", "Vandelay Imports",
    "Oceanic Cruises", "Pied Piper Cloud", "Gringotts Finance", "Monarch Insurance",
    "Duff Brewery", "Krusty Burgers", "Wonka Sweets", "Dunder Paper", "Prestige Worldwide",
    "Massive Dynamic", "Virtucon Energy", "Sterling Cooper Media", "Bluth Homes",
    "Los Pollos Chicken", "Nakatomi Trading", "Weyland Logistics",
]

ORG_FIRST = _words("""
Blue Red Green Silver Golden Northern Southern Eastern Western Central Royal Urban Rural
Coastal Alpine Metro Global Pacific Atlantic Summit Harbor River Lake Forest Meadow Stone
Iron Copper Crystal Bright Swift Noble Prime Vivid Clear Fresh True Bold Quiet Happy Lucky
Sunny Misty Polar Solar Lunar Cedar Maple Oak Pine Willow Birch Falcon Eagle Hawk Raven
Fox Wolf Bear Lion Tiger Otter Badger Heron Swan Robin Sparrow Orchid Lotus Ivy Clover
Amber Coral Ruby Jade Onyx Pearl Indigo Scarlet Ochre Saffron Cobalt Granite Marble Velvet
Linen Cotton Harvest Orchard Valley Canyon Prairie Delta Island Bay Cape Ridge Hill Peak
Beacon Anchor Compass Lantern Arrow Bridge Castle Tower Garden Market Village County Union
Liberty Pioneer Frontier Heritage Legacy Keystone Cornerstone Horizon Zenith Apex Vertex
Nova Stellar Cosmic Quantum Digital Smart Rapid Express Direct Open Fair Kind Good Grand
""")

ORG_SECOND = _words("""
Bank Foods Airlines Telecom Motors Retail Pharma Energy Insurance Media Studios Games
Fashion Beauty Cosmetics Coffee Tea Bakery Brewery Dairy Farms Grocers Market Stores Outlet
Hotels Resorts Travel Cruises Rail Buses Logistics Freight Shipping Couriers Post Mobile
Wireless Networks Software Cloud Labs Robotics Devices Electronics Appliances Furniture
Homes Realty Builders Construction Plumbing Power Water Gas Oil Mining Steel Chemicals
Paints Toys Books Publishing News Radio Television Pictures Music Records Sports Fitness
Gyms Clinics Hospital Health Care Dental Optics Pets Vets Garden Tools Hardware Auto Tyres
Fuel Charging Solar Wind Recycling Waste Cleaning Security Alarms Locks Banking Credit
Loans Savings Pensions Wealth Capital Ventures Partners Group Holdings Trust Council Museum
University College School Academy Charity Foundation Club League Festival Theatre Zoo
""")

ORG_THIRD = ["", "Group", "Co", "Ltd", "Inc", "International", "UK", "US", "Europe", "Asia",
             "Direct", "Online", "Plus", "One", "Local", "Express", "Global", "Collective",
             "Company", "Brands", "Services", "Partners", "Network", "Worldwide", "Labs"]

INDUSTRIES = ["Retail", "Food and drink", "Airlines", "Banking", "Telecoms", "Technology",
              "Media", "Fashion", "Automotive", "Health", "Energy", "Travel", "Public sector",
              "Charity", "Sport", "Entertainment", "Insurance", "Education", "Logistics"]

FIRST_NAMES = _words("""
Maya Liam Ana Noah Zoe Omar Lena Ivan Sara Jonas Priya Tomas Chloe Mateo Aisha Lucas Emma
Hugo Nina Felix Ines Leo Mira Oscar Yara Adam Elena Kai Lara Rafael Sofia Theo Amara Ben
Clara David Eva Finn Grace Hana Isaac Julia Karim Lily Marco Nora Paul Rosa Sam Tara Victor
""")

LAST_NAMES = _words("""
Smith Garcia Chen Patel Okafor Novak Rossi Muller Silva Kim Nguyen Cohen Jensen Dubois
Kowalski Haddad Tanaka Larsen Moreau Costa Schmidt Ivanova Ahmed Fischer Berg Lopez Brown
Wilson Taylor Martin Andersen Suzuki Mendes Walsh Byrne Quinn Reyes Vargas Sato Ali
""")

TEAM_UNITS = ["Comms", "Social", "Digital", "Press Office", "Brand", "Community",
              "Newsroom", "Marketing", "Communications", "Social Care"]

TIMEZONES = [("Europe/London", 30), ("America/New_York", 20), ("Europe/Berlin", 15),
             ("America/Los_Angeles", 10), ("Asia/Tokyo", 5), ("Australia/Sydney", 5),
             ("Asia/Kolkata", 5), ("America/Sao_Paulo", 5), ("UTC", 5)]

NEWS_OUTLETS = [
    "dailyherald", "morningpost", "thechronicle", "techwire", "brandwatchers", "adweekly",
    "marketingnews", "socialtimes", "thecourier", "eveningstandard", "cityjournal",
    "businessdesk", "mediaguardian", "theledger", "pressgazette", "digitaltrends",
    "thevergecast", "newsbeat", "reportersdesk", "industrytoday",
]


def _pseudo_words(rng: random.Random, count: int) -> list[str]:
    """Invented words of two to four syllables: names, jargon and typos of the long tail."""
    seen: set[str] = set()
    words = []
    while len(words) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Vocabulary:
    """A ranked vocabulary and the texts drawn from it with a Zipf (1/rank) distribution."""

    def __init__(self, seed: int, tail: int = 20_000):
        self.rng = random.Random(seed)
        head = []
        for i in range(max(len(DOMAIN_WORDS), len(COMMON_WORDS))):
            # Interleaved: common glue words and domain words share the head.
            head += COMMON_WORDS[i:i + 1] + DOMAIN_WORDS[i:i + 1]
        self.words = list(dict.fromkeys(head)) + _pseudo_words(self.rng, tail)

    def word(self) -> str:
        rank = int(len(self.words) ** self.rng.random()) - 1
        return self.words[min(rank, len(self.words) - 1)]

    def sentence(self, low: int = 8, high: int = 18) -> str:
        words = [self.word() for _ in range(self.rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    def phrase(self, low: int = 3, high: int = 8) -> str:
        # Titles lean on the domain words (people name what went wrong) and, like headlines,
        # do without most glue words.
        words: list[str] = []
        for _ in range(self.rng.randint(low, high)):
            word = self.rng.choice(DOMAIN_WORDS[:120]) if self.rng.random() < 0.5 else self.word()
            while word in GLUE_WORDS and self.rng.random() < 0.85:
                word = self.word()
            words.append(word)
        return " ".join(words).capitalize()

    def sentences(self, count: int) -> list[str]:
        return [self.sentence() for _ in range(count)]

    def phrases(self, count: int, low: int = 3, high: int = 8) -> list[str]:
        return [self.phrase(low, high) for _ in range(count)]


def organization_names(count: int) -> list[str]:
    """`count` distinct organisation names (unique whatever their case, with distinct slugs):
    the famous few first, then combinations of everyday brand words. Rank 0 is the most
    named (see the load's Zipf draw)."""
    combos = len(ORG_FIRST) * len(ORG_SECOND) * len(ORG_THIRD)
    if count > len(ORG_FAMOUS) + combos:
        raise ValueError(f"At most {len(ORG_FAMOUS) + combos} organisation names.")
    names = ORG_FAMOUS[:count]
    n_first, n_second = len(ORG_FIRST), len(ORG_SECOND)
    for i in range(count - len(names)):
        # A permutation of the combinations, so neighbouring ranks do not share words.
        k = (i * 7_919) % combos if combos % 7_919 else i
        first, rest = ORG_FIRST[k % n_first], k // n_first
        second, third = ORG_SECOND[rest % n_second], ORG_THIRD[rest // n_second]
        names.append(" ".join(part for part in (first, second, third) if part))
    return names


def organization_slug(name: str) -> str:
    return slugify(name)[:190].strip("-")


def weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]
