"""The 50 MicroG-4M action classes (original AVA v2.1 ids and names, id 28 renamed).

The MicroG-4M label map keeps the AVA ids its annotations use; model output index ``i`` is the
``i``-th smallest id. Id 28 ("drive (e.g., a car, a truck)" in AVA) is "operate spaceship".
"""

from __future__ import annotations

from pathlib import Path

MICROG_CLASSES: tuple[tuple[int, str], ...] = (
    (1, "bend/bow (at the waist)"),
    (3, "crouch/kneel"),
    (5, "fall down"),
    (6, "get up"),
    (7, "jump/leap"),
    (8, "lie/sleep"),
    (9, "martial art"),
    (10, "run/jog"),
    (11, "sit"),
    (12, "stand"),
    (14, "walk"),
    (17, "carry/hold (an object)"),
    (20, "climb (e.g., a mountain)"),
    (22, "close (e.g., a door, a box)"),
    (24, "cut"),
    (26, "dress/undress clothing"),
    (27, "drink"),
    (28, "operate spaceship"),
    (29, "eat"),
    (30, "enter"),
    (34, "hit (an object)"),
    (36, "lift/pick up"),
    (38, "open (e.g., a window, a car door)"),
    (41, "play musical instrument"),
    (43, "point to (an object)"),
    (45, "pull (an object)"),
    (46, "push (an object)"),
    (47, "put down"),
    (48, "read"),
    (56, "take a photo"),
    (57, "text on/look at a cellphone"),
    (58, "throw"),
    (59, "touch (an object)"),
    (60, "turn (e.g., a screwdriver)"),
    (61, "watch (e.g., TV)/any unspecified action"),
    (62, "work on a computer"),
    (63, "write"),
    (64, "fight/hit (a person)"),
    (65, "give/serve (an object) to (a person)"),
    (66, "grab (a person)"),
    (67, "hand clap"),
    (68, "hand shake"),
    (69, "hand wave"),
    (70, "hug (a person)"),
    (72, "kiss (a person)"),
    (74, "listen to (a person)"),
    (76, "push (another person)"),
    (78, "take (an object) from (a person)"),
    (79, "talk to (e.g., self, a person, a group)"),
    (80, "watch (a person)"),
)


def label_map_pbtxt(classes: tuple[tuple[int, str], ...] = MICROG_CLASSES) -> str:
    """The label map in AVA ``.pbtxt`` form (two-space indent, name before id, as released)."""
    return "".join(f'item {{\n  name: "{name}"\n  id: {cid}\n}}\n' for cid, name in classes)


def write_label_map(
    path: str | Path, classes: tuple[tuple[int, str], ...] = MICROG_CLASSES
) -> Path:
    """Write ``classes`` as an AVA ``.pbtxt`` label map to ``path`` and return the path."""
    path = Path(path)
    path.write_text(label_map_pbtxt(classes), encoding="utf-8")
    return path
