"""A catalogue entry for tests that build a tiny mirror and catalogue of their own."""

from __future__ import annotations


def catalogue_entry(entry_id: str, path: str, sha: str, **over: object) -> dict:
    """A valid mirrored catalogue entry for ``path`` with hash ``sha``; ``over`` replaces fields."""
    entry = {
        "id": entry_id,
        "title": entry_id,
        "publisher": "test",
        "release": "test",
        "vintage": "test",
        "licence": "OGL v3.0",
        "landing_page": "https://example.org/landing",
        "format": "csv",
        "kind": "original",
        "theme": "test",
        "path": path,
        "mirrored": True,
        "mirror_path": path,
        "sha256": sha,
    }
    entry.update(over)
    return entry
