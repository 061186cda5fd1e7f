"""Plots: the only package that imports matplotlib. Figures are drawn on matplotlib's Agg canvas."""
