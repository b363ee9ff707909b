"""Turning notebooks into the HTML pack: page blocks and style, headline figures, the
papermill/nbconvert pipeline, batches, downloads and templates."""
