"""The rules of the hub. Services take a store, a clock and settings in their constructors
and are the same objects in the web process and in workers (built in hub/build.py)."""
