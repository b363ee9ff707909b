"""Page 04: children looked after by IDACI decile (the LA's own SSDA903 return)."""
