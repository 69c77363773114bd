"""The community's definition (ccr.py), and the deadline arithmetic built on it."""
