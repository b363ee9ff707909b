"""Page 00: the published files behind the pack and what they cover for an LA."""
