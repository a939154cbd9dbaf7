"""Kaohe (考核): the performance-assessment platform of a city's assessment office."""

__version__ = "0.1.0"
