"""A realistic district generated from a seed, and a simulated cycle run through it."""
