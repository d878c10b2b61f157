"""Per-patient feature extraction fanned out on a Dask cluster."""
