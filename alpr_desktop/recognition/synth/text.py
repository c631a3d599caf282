"""Plate strings, their grouping, and the small print around them."""

from __future__ import annotations

import numpy as np

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
ALPHABET = DIGITS + LETTERS

# Serial formats: L = letter, # = digit, * = either. A space marks where a plate usually
# shows a gap, dash, dot, logo or sticker. Weights are rough frequencies.
FORMATS: tuple[tuple[str, float], ...] = (
    ("LLL ####", 10.0),  # NY, PA, TX, GA, ...
    ("#LLL###", 12.0),  # California
    ("LL# L#L", 10.0),  # Missouri
    ("LLL ###", 6.0),
    ("### LLL", 5.0),
    ("LL #####", 2.0),
    ("LL# ####", 2.0),
    ("L## ###", 2.0),
    ("### ####", 2.0),
    ("#######", 1.5),
    ("###L###", 1.0),
    ("## L####", 1.0),
    ("#LL ####", 2.0),
    ("LLL #L#", 1.0),
    ("LL ####", 1.0),
    ("#L# ###", 1.0),
    ("L### LL", 1.0),
    ("### #LL", 1.0),
    ("VANITY", 5.0),
)

STATES = (
    "ALABAMA",
    "ALASKA",
    "ARIZONA",
    "ARKANSAS",
    "California",
    "COLORADO",
    "CONNECTICUT",
    "DELAWARE",
    "FLORIDA",
    "GEORGIA",
    "Hawaii",
    "IDAHO",
    "ILLINOIS",
    "INDIANA",
    "IOWA",
    "KANSAS",
    "KENTUCKY",
    "Louisiana",
    "MAINE",
    "MARYLAND",
    "MASSACHUSETTS",
    "MICHIGAN",
    "MINNESOTA",
    "MISSISSIPPI",
    "MISSOURI",
    "MONTANA",
    "NEBRASKA",
    "NEVADA",
    "NEW HAMPSHIRE",
    "NEW JERSEY",
    "NEW MEXICO",
    "NEW YORK",
    "NORTH CAROLINA",
    "NORTH DAKOTA",
    "OHIO",
    "OKLAHOMA",
    "OREGON",
    "Pennsylvania",
    "RHODE ISLAND",
    "SOUTH CAROLINA",
    "SOUTH DAKOTA",
    "TENNESSEE",
    "TEXAS",
    "UTAH",
    "VERMONT",
    "VIRGINIA",
    "WASHINGTON",
    "WEST VIRGINIA",
    "WISCONSIN",
    "WYOMING",
    "WASHINGTON, DC",
)

SLOGANS = (
    "dmv.ca.gov",
    "Sunshine State",
    "Land of Lincoln",
    "Show Me State",
    "GRAND CANYON STATE",
    "THE LAST FRONTIER",
    "visitPA.com",
    "Empire State",
    "Garden State",
    "Live Free or Die",
    "FIRST IN FLIGHT",
    "Famous Potatoes",
    "Great Lakes",
    "Pure Michigan",
    "TAXATION WITHOUT REPRESENTATION",
    "Crossroads of America",
    "Aloha State",
    "The Lone Star State",
    "Evergreen State",
    "Sportsman's Paradise",
    "IN GOD WE TRUST",
    "explore MINNESOTA",
    "Discover Oklahoma",
    "BIG SKY",
    "Wild, Wonderful",
    "ENGINEERS",
    "NATIONAL GUARD",
    "VETERAN",
    "Support Education",
    "Endangered Species",
)

DEALERS = (
    "TOYOTA OF SEATTLE",
    "HONDA",
    "www.autonation.com",
    "BMW OF NORTH AMERICA",
    "FORD",
    "LAMBORGHINI",
    "SAN FRANCISCO",
    "CHEVROLET",
    "KIA MOTORS",
    "NISSAN",
    "AUTO MALL",
    "MERCEDES-BENZ",
    "I'D RATHER BE FISHING",
    "LEXUS OF",
    "SUBARU",
    "ACURA",
    "JEEP",
    "CARMAX",
    "UNIVERSITY ALUMNI",
    "VOLKSWAGEN",
    "www.dealer.com",
    "THE FORD STORE",
)

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _fill(pattern: str, rng: np.random.Generator) -> str:
    out = []
    for ch in pattern:
        if ch == "L":
            out.append(LETTERS[rng.integers(len(LETTERS))])
        elif ch == "#":
            out.append(DIGITS[rng.integers(len(DIGITS))])
        elif ch == "*":
            out.append(ALPHABET[rng.integers(len(ALPHABET))])
        else:
            out.append(ch)
    return "".join(out)


def random_plate(rng: np.random.Generator) -> tuple[str, list[str]]:
    """A random plate string and its visual groups (joined, the groups give the string)."""
    weights = np.array([w for _, w in FORMATS])
    fmt = FORMATS[rng.choice(len(FORMATS), p=weights / weights.sum())][0]
    if fmt == "VANITY":
        n = int(rng.integers(2, 9))
        letters_only = rng.random() < 0.6
        pool = LETTERS if letters_only else ALPHABET
        text = "".join(pool[rng.integers(len(pool))] for _ in range(n))
        if n >= 5 and rng.random() < 0.3:
            cut = int(rng.integers(2, n - 1))
            return text, [text[:cut], text[cut:]]
        return text, [text]
    filled = _fill(fmt, rng)
    groups = filled.split(" ")
    if len(groups) == 1 and len(filled) >= 6 and rng.random() < 0.3:
        cut = len(filled) // 2
        groups = [filled[:cut], filled[cut:]]
    elif len(groups) == 2 and rng.random() < 0.2:
        groups = ["".join(groups)]
    return "".join(groups), groups


def small_text(rng: np.random.Generator, choices: tuple[str, ...]) -> str:
    return choices[int(rng.integers(len(choices)))]
