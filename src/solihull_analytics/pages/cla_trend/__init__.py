"""Page 01: children looked after, the rate trend."""
