"""The query side: projections, the projector, queries over read models, notifications."""
