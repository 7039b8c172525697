"""Microdata in: the input files read and checked against the codebook, at any size."""
