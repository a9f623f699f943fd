"""Action label map: the AVA v2.1 action list with MicroG-4M's names, and its pbtxt format.

MicroG-4M keeps the original AVA ids. Three names differ from AVA's: 26 "dress/undress clothing",
28 "operate spaceship" (AVA: drive) and 61 "watch (e.g., TV)/any unspecified action". Label types
follow AVA: ids 1-14 PERSON_MOVEMENT, 15-63 OBJECT_MANIPULATION, 64-80 PERSON_INTERACTION.
The written ``label_map.pbtxt`` has the released file's form (``name`` before ``id``, two-space
indent, no label type), which the evaluation parser requires.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

logger = logging.getLogger(__name__)

AVA_NAMES = {
    1: "bend/bow (at the waist)", 2: "crawl", 3: "crouch/kneel", 4: "dance", 5: "fall down",
    6: "get up", 7: "jump/leap", 8: "lie/sleep", 9: "martial art", 10: "run/jog", 11: "sit",
    12: "stand", 13: "swim", 14: "walk", 15: "answer phone", 16: "brush teeth",
    17: "carry/hold (an object)", 18: "catch (an object)", 19: "chop",
    20: "climb (e.g., a mountain)", 21: "clink glass", 22: "close (e.g., a door, a box)",
    23: "cook", 24: "cut", 25: "dig", 26: "dress/put on clothing", 27: "drink",
    28: "drive (e.g., a car, a truck)", 29: "eat", 30: "enter", 31: "exit", 32: "extract",
    33: "fishing", 34: "hit (an object)", 35: "kick (an object)", 36: "lift/pick up",
    37: "listen (e.g., to music)", 38: "open (e.g., a window, a car door)", 39: "paint",
    40: "play board game", 41: "play musical instrument", 42: "play with pets",
    43: "point to (an object)", 44: "press", 45: "pull (an object)", 46: "push (an object)",
    47: "put down", 48: "read", 49: "ride (e.g., a bike, a car, a horse)", 50: "row boat",
    51: "sail boat", 52: "shoot", 53: "shovel", 54: "smoke", 55: "stir", 56: "take a photo",
    57: "text on/look at a cellphone", 58: "throw", 59: "touch (an object)",
    60: "turn (e.g., a screwdriver)", 61: "watch (e.g., TV)", 62: "work on a computer",
    63: "write", 64: "fight/hit (a person)", 65: "give/serve (an object) to (a person)",
    66: "grab (a person)", 67: "hand clap", 68: "hand shake", 69: "hand wave",
    70: "hug (a person)", 71: "kick (a person)", 72: "kiss (a person)", 73: "lift (a person)",
    74: "listen to (a person)", 75: "play with kids", 76: "push (another person)",
    77: "sing to (e.g., self, a person, a group)", 78: "take (an object) from (a person)",
    79: "talk to (e.g., self, a person, a group)", 80: "watch (a person)",
}  # fmt: skip

MICROG_RENAMES = {
    26: "dress/undress clothing",
    28: "operate spaceship",
    61: "watch (e.g., TV)/any unspecified action",
}

ACTION_NAMES = {**AVA_NAMES, **MICROG_RENAMES}

# The 50 action ids of the released MicroG-4M label map.
MICROG_IDS = [
    1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17, 20, 22, 24, 26, 27, 28, 29, 30, 34, 36, 38, 41, 43,
    45, 46, 47, 48, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 72, 74, 76, 78,
    79, 80,
]  # fmt: skip


def label_type(action_id: int) -> str:
    """AVA label type of an action id."""
    if not 1 <= action_id <= 80:
        raise ValueError(f"action id {action_id} is not an AVA id (1-80)")
    if action_id <= 14:
        return "PERSON_MOVEMENT"
    return "OBJECT_MANIPULATION" if action_id <= 63 else "PERSON_INTERACTION"


def format_pbtxt(names: dict[int, str]) -> str:
    """``label_map.pbtxt`` text for ``{id: name}``, ids ascending."""
    blocks = [f'item {{\n  name: "{names[i]}"\n  id: {i}\n}}\n' for i in sorted(names)]
    return "".join(blocks)


def write_pbtxt(path: Path, action_ids: list[int], names: dict[int, str] | None = None) -> Path:
    """Write the label map of ``action_ids`` (names from ``names`` or MicroG-4M's)."""
    names = names or ACTION_NAMES
    unknown = sorted(set(action_ids) - set(names))
    if unknown:
        raise ValueError(f"no name for action id(s) {unknown}; pass a label map that has them")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_pbtxt({i: names[i] for i in set(action_ids)}), encoding="utf-8")
    return path


_ITEM = re.compile(r'item\s*\{[^}]*?name:\s*"(?P<name>[^"]*)"[^}]*?id:\s*(?P<id>\d+)[^}]*\}', re.S)


def read_pbtxt(path: Path) -> dict[int, str]:
    """Read ``{id: name}`` from a pbtxt label map (``name`` before ``id`` in each item)."""
    text = Path(path).read_text(encoding="utf-8")
    found = {int(m.group("id")): m.group("name") for m in _ITEM.finditer(text)}
    if not found:
        raise ValueError(f"{path}: no 'item {{ name: ... id: ... }}' entries found")
    return found
