"""Shared fixtures: real servers, the fake Wix API, SMTP and ops sinks, the running pipeline."""

import importlib.util

pytest_plugins = [
    plugin
    for plugin in (
        "tests.fixtures.servers",
        "tests.fixtures.smtp",
        "tests.fixtures.ops_hook",
        "tests.fixtures.fake_wix",
        "tests.fixtures.pipeline",
        "tests.fixtures.flow_deps",
    )
    if importlib.util.find_spec(plugin) is not None
]
