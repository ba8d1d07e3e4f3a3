"""Shared fixtures: real servers, a migrated store on both backends, fake Wix, SMTP/ops sinks, pipelines."""

import importlib.util

pytest_plugins = [
    plugin
    for plugin in (
        "tests.fixtures.servers",
        "tests.fixtures.store",
        "tests.fixtures.smtp",
        "tests.fixtures.ops_hook",
        "tests.fixtures.fake_wix",
        "tests.fixtures.pipeline",
        "tests.fixtures.flow_deps",
    )
    if importlib.util.find_spec(plugin) is not None
]
