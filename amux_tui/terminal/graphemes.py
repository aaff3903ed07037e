"""Grapheme clusters and their cell widths, for the screen's non-ASCII path.

Emoji with variation selectors, skin tones and zero-width joiners are one
cluster drawn in one (wide) cell, the way current terminals and Rich (which
renders our cells) count them. wcwidth >= 0.3 provides ``iter_graphemes``;
older versions get a simpler clustering that keeps joiners and marks with the
character before them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import wcwidth as _wcwidth

_ZWJ = "\u200d"
_VS16 = "\ufe0f"

char_width = _wcwidth.wcwidth


def _fallback_graphemes(text: str) -> Iterator[str]:
    cluster = ""
    for char in text:
        if cluster and (cluster[-1] == _ZWJ or char_width(char) == 0):
            cluster += char
            continue
        if cluster:
            yield cluster
        cluster = char
    if cluster:
        yield cluster


iter_graphemes = getattr(_wcwidth, "iter_graphemes", _fallback_graphemes)


@lru_cache(maxsize=4096)
def cluster_width(cluster: str) -> int:
    """Cells a cluster occupies: 0 (joins the cell before), 1 or 2; -1 if unprintable."""
    if len(cluster) == 1:
        return char_width(cluster)
    width = _wcwidth.wcswidth(cluster)
    if width < 0:
        # A cluster holding a control char: count its printable head only.
        width = char_width(cluster[0])
    return min(width, 2)


def continues_cluster(char: str) -> bool:
    """Whether ``char`` attaches to the cluster before it (marks, joiners, selectors)."""
    return char == _ZWJ or char_width(char) == 0
