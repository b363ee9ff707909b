"""Page 03: a profile of the LA's sub-areas."""
