"""The community's definition (directory), and the deadline arithmetic built on it."""
