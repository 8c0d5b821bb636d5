"""The composition root: app factory, dependencies, scheduler, CLI root, demo, migrations."""
