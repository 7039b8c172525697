"""Stage "chart": the charts a publication declares, as Vega-Lite specifications and drawings (see stage.py)."""
