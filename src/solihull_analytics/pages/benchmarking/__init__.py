"""Page 05: benchmarking every English LA against child deprivation."""
