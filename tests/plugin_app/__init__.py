"""A plug-in app installed only under the tests (``config/settings/test.py``).

It shows that a new app plugs into the platform from its ``AppConfig.ready()`` alone, without a
line changed in tenancy, inventory or sampling: a sidebar link (``tenancy.navigation.NAV``), a
section of an entity's history (``inventory.extensions.ENTITY_HISTORY``), a periodic job run once
per organization (``tenancy.periodic.JOBS``) and public projections
(``tenancy.projections.PROJECTIONS``) — the last written as sampling will register its published
plans, draws and drawn lists. ``tests/plugin_app/test_plugin_app.py`` proves each shows up.
"""
