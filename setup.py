"""What pyproject.toml cannot say: the top-level templates/ folder ships inside the package
as hub.templates (with its subfolders), so an installed hub reads its templates through
importlib exactly as a checkout does. Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

NOT_PACKAGES = ["__pycache__", "*.__pycache__"]
HUB = find_namespace_packages(include=["hub", "hub.*"], exclude=NOT_PACKAGES)
TEMPLATES = [f"hub.templates.{p}" for p in find_namespace_packages("templates",
                                                                     exclude=NOT_PACKAGES)]

setup(packages=[*HUB, "hub.templates", *TEMPLATES], package_dir={"hub.templates": "templates"})
