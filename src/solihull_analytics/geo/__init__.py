"""Geography: local authorities, statistical neighbours, LSOA lookups across vintages,
postcodes and sub-areas."""
