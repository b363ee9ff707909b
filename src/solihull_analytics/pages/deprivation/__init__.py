"""Page 02: IDACI deprivation across releases."""
