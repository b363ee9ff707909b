"""Page 02: where an LA's neighbourhoods sit in England's child income deprivation (IDACI).

Notebook ``02_idaci_deprivation``.

Definitions used throughout (and shown on the report page):

**Most deprived p% in England.** An LSOA is in England's most deprived ``p``% on the Income
Deprivation Affecting Children Index (IDACI) of a release when its published IDACI rank
(1 = most deprived) is at most ``floor(p/100 x N)``, where ``N`` is the number of LSOAs in
England in that release (32,482 on 2001 LSOAs, 32,844 on 2011 LSOAs, 33,755 on 2021 LSOAs).
Ranks are whole numbers, so ``rank <= floor(p x N)`` and ``rank <= p x N`` select the same
LSOAs; the floor is the cut-off MHCLG's published deciles use (IoD2019 decile 1 = ranks
1-3,284 of 32,844; IoD2025 decile 1 = ranks 1-3,375 of 33,755), so the 10% and 20% bands agree
with deciles 1 and 1-2 whenever both are published.

**Ties.** The published files give tied LSOAs the same (lower) rank number and skip the next
one. The published ranks are used exactly as they are: tied LSOAs are always on the same side of
a cut-off, so a tie straddling it puts both LSOAs inside (the band can then hold one more LSOA
than ``floor(p x N)``). :func:`ties_at_cutoff` reports whether that happens.

**Deciles.** As published where published. For a release with ranks but no deciles they are
derived from the ranks with the same cut-offs (decile ``d`` = ranks up to ``floor(d x N / 10)``).
For a release with deciles but no ranks (IoD2015 in the mirror) the 10% and 20% bands come from
deciles 1 and 1-2; the 5% and 2% bands cannot be computed and say so.

**LSOA vintages.** Each release is counted on its own LSOAs (2001 for ID2007/ID2010, 2011 for
IoD2015/IoD2019, 2021 for IoD2025). :func:`map_release_to_vintage` gives a like-for-like view
through the ONS lookups: a target LSOA takes the rank of the source LSOA ("piece") linked to it
that holds most children (Census 0-15 of the source vintage; equal weights when no population is
available for that vintage, e.g. 2001 LSOAs), ties going to the more deprived piece. Unchanged
LSOAs simply keep their rank.

Modules: :mod:`.page` (the page contract: context, sections, headlines), :mod:`.inputs`
(reading tables and the release registry), :mod:`.compute` and :mod:`.children` (pure
analysis), :mod:`.maps`, :mod:`.charts`, :mod:`.text`, :mod:`.tables`; ``headlines.yaml``
declares the headline figures.
"""
