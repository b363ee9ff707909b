"""Statistical methods shared by the pages: rates and their intervals, funnel limits,
inequality (SII/RII), disclosure control, IDACI bands and the count model."""
