"""The jinja2 templates: notices/{en,es}/ (what the adapters send: one file per part a
channel uses, engine/ for the alert that escalation stopped) and pages/ (the hub's pages).

They live at the top of the repository and ship inside the package as ``hub.templates``
(setup.py maps this folder there), so a checkout and an installed wheel read them the same
way: ``jinja2.PackageLoader("hub.templates", "notices")``, through importlib."""
